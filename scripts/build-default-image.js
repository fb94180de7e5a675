// Builds the embedded default image (busybox-static) as an OCI layout directory.
// Usage: node scripts/build-default-image.js OUT_DIR
import { buildDefaultImageLayout } from '@podstage/images/default-image';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: build-default-image.js OUT_DIR\n');
  process.exit(2);
}
await buildDefaultImageLayout(out);
