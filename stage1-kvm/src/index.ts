/** stage1 kvm: each pod in its own QEMU microvm with its own guest kernel, under conmon; apps run by a guest agent over virtio-serial. */
import { readFileSync } from 'node:fs';
import type { Stage1Implementation, Stage1Manifest } from '@podstage/contract';
import { monitoredEntrypoints } from '@podstage/stage1-common/monitored';
import { kvmDriver } from './driver.js';
import { appStats, appUpdate } from './entrypoints/app-resources.js';
import { enter } from './entrypoints/enter.js';
import { gc } from './entrypoints/gc.js';
import { run, start } from './entrypoints/run.js';
import { guestBoot } from './guest-boot.js';
import { checkKvmSupport } from './translate.js';

export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

export const stage1: Stage1Implementation = {
  manifest,
  check(m, o) {
    checkKvmSupport(m, o);
    guestBoot(m);
  },
  run, start, gc, enter, appUpdate, appStats, ...monitoredEntrypoints(kvmDriver),
};
export default stage1;
