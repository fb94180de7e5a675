/**
 * A new log file for a running app, after its old one was rotated away (the
 * CRI's ReopenContainerLog): the app's conmon (ABI.md, "Pods under conmon")
 * is asked through its control FIFO, `2` being conmon's "reopen the log".
 */
import { existsSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';
import { backoff } from '@podstage/linux';
import { findPod } from './lifecycle.js';
import { writeMonitorControl } from './monitor-control.js';
import { requireRunning } from './stop.js';

const CONMON_REOPEN_LOG = '2 0 0\n';
const REOPEN_TIMEOUT_MS = 5000;

/** Ask the app's monitor to start writing a new file at its log's path, and wait until it is there. */
export async function reopenAppLog(dataDir: string, id: string, app: string, logFile: string): Promise<void> {
  const ref = findPod(dataDir, id);
  requireRunning(ref);
  writeMonitorControl(ref, app, CONMON_REOPEN_LOG);
  const pause = backoff();
  for (const deadline = Date.now() + REOPEN_TIMEOUT_MS; !existsSync(logFile); await pause()) {
    if (Date.now() > deadline) throw new PodstageError('ERR_PODSTAGE_STAGE1', `the monitor of app ${app} did not reopen ${logFile} within ${REOPEN_TIMEOUT_MS / 1000} s`);
  }
}
