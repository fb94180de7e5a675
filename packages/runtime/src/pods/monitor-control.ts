/**
 * An app's monitor's control FIFO (ABI.md, "Pods under conmon"): conmon reads
 * lines `TYPE A B`, 1 resizing the app's terminal (rows, columns), 2 reopening
 * its log.
 */
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { pod, PodstageError } from '@podstage/contract';
import type { PodRef } from './lifecycle.js';

export function writeMonitorControl(ref: PodRef, app: string, line: string): void {
  const ctl = pod.appMonitorControl(ref.path, app);
  if (!existsSync(ctl)) throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `app ${app} of pod ${ref.uuid} has no monitor to control (a stage1 without conmon)`);
  let fd: number;
  try {
    // Without a reader (the monitor is gone) the open fails at once rather than blocking.
    fd = openSync(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${app} of pod ${ref.uuid} is not running`);
    throw e;
  }
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}
