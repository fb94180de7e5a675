/** stage1 runc: a pod is OCI runtime-spec bundles run by runc under conmon — a sandbox holding the namespaces, one container per app. */
import { readFileSync } from 'node:fs';
import type { Stage1Implementation, Stage1Manifest } from '@podstage/contract';
import { enter } from './entrypoints/enter.js';
import { gc } from './entrypoints/gc.js';
import { appAdd, appRm, appStart, appStop, stop } from './entrypoints/lifecycle.js';
import { run } from './entrypoints/run.js';
import { checkRuncSupport } from './translate.js';

export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

export const stage1: Stage1Implementation = {
  manifest, check: checkRuncSupport, run, gc, enter, stop, appAdd, appStart, appStop, appRm,
};
export default stage1;
