/** stage1 fly: chroot in host namespaces, the app exec'd in place (rkt's fly). */
import { readFileSync } from 'node:fs';
import type { Stage1Implementation, Stage1Manifest } from '@podstage/contract';
import { enter } from './entrypoints/enter.js';
import { gc } from './entrypoints/gc.js';
import { run } from './entrypoints/run.js';
import { stop } from './entrypoints/stop.js';
import { checkFlySupport } from './translate.js';

export const stage1Dir = new URL('..', import.meta.url).pathname;
export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

export const stage1: Stage1Implementation = { manifest, check: checkFlySupport, run, gc, stop, enter };
export default stage1;
