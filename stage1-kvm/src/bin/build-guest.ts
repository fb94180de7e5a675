import { buildGuest } from '../guest/build-guest.js';

const out = process.argv[2];
if (out === undefined) {
  process.stderr.write('usage: build-guest.js OUT_DIR\n');
  process.exit(2);
}
process.stdout.write(`guest kernel ${await buildGuest(out)}\n`);
