/** stage1 host: systemd-nspawn namespace isolation, apps entered one by one under conmon, chrooted in their own rootfs. */
import { readFileSync } from 'node:fs';
import type { Stage1Implementation, Stage1Manifest } from '@podstage/contract';
import { monitoredEntrypoints } from '@podstage/stage1-common/monitored';
import { hostDriver } from './driver.js';
import { enter } from './entrypoints/enter.js';
import { gc } from './entrypoints/gc.js';
import { run, start } from './entrypoints/run.js';
import { checkHostSupport } from './translate.js';

export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

export const stage1: Stage1Implementation = {
  manifest, check: checkHostSupport, run, start, gc, enter, ...monitoredEntrypoints(hostDriver()),
};
export default stage1;
