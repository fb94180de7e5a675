/** stage1 kvm: each pod in its own QEMU microvm with its own guest kernel; apps run by a guest agent over virtio-serial. */
import { readFileSync } from 'node:fs';
import type { Stage1Implementation, Stage1Manifest } from '@podstage/contract';
import { supervisedAppAdd, supervisedAppRm, supervisedAppStart, supervisedAppStop, supervisedStop } from '@podstage/stage1-common';
import { enter } from './entrypoints/enter.js';
import { gc } from './entrypoints/gc.js';
import { run } from './entrypoints/run.js';
import { guestBoot } from './guest-boot.js';
import { checkKvmSupport } from './translate.js';

export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

export const stage1: Stage1Implementation = {
  manifest,
  check(m, o) {
    checkKvmSupport(m, o);
    guestBoot(m);
  },
  run, gc, enter,
  stop: supervisedStop, appAdd: supervisedAppAdd, appStart: supervisedAppStart, appStop: supervisedAppStop, appRm: supervisedAppRm,
};
export default stage1;
