/**
 * build-guest.js OUT_DIR [--minimal-kernel DIR]: the default guest (Debian's
 * kernel and the initramfs) into OUT_DIR; with --minimal-kernel, also the
 * optional minimal kernel built from Debian's linux-source into DIR.
 */
import { buildGuest } from '../guest/build-guest.js';
import { buildMinimalKernel } from '../guest/minimal-kernel.js';

const [out, flag, minimalDir] = process.argv.slice(2);
if (out === undefined || (flag !== undefined && (flag !== '--minimal-kernel' || minimalDir === undefined))) {
  process.stderr.write('usage: build-guest.js OUT_DIR [--minimal-kernel DIR]\n');
  process.exit(2);
}
process.stdout.write(`guest kernel ${await buildGuest(out)}\n`);
if (minimalDir !== undefined) process.stdout.write(`minimal guest kernel ${await buildMinimalKernel(minimalDir)}\n`);
