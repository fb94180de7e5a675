/** stage1 kvm: each pod in its own QEMU microvm with its own guest kernel; the pod directory shared over 9p. */
import { readFileSync } from 'node:fs';
import type { Stage1Implementation, Stage1Manifest } from '@podstage/contract';
import { gc } from './entrypoints/gc.js';
import { run } from './entrypoints/run.js';
import { stop } from './entrypoints/stop.js';
import { checkKvmSupport } from './translate.js';

export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

export const stage1: Stage1Implementation = { manifest, check: checkKvmSupport, run, gc, stop };
export default stage1;
