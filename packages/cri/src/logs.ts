/**
 * Container logs where the kubelet looks for them: the app's CRI-format log
 * (written by the pod's conmon) linked at log_directory/log_path, as the
 * sandbox and container configs ask; the app's own log path otherwise.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { pod } from '@podstage/contract';
import { containerRecord } from './records.js';
import type { Container, Sandbox } from './state.js';

function requestedPath(logDirectory: string, logPath: string): string | undefined {
  if (logDirectory === '' || logPath === '' || !isAbsolute(logDirectory)) return undefined;
  const path = join(logDirectory, logPath);
  return path.startsWith(`${logDirectory}/`) ? path : undefined;
}

export const containerLogPath = (c: Container): string =>
  requestedPath(c.sandbox.record.logDirectory, c.record.logPath) ?? pod.appLog(c.sandbox.ref.path, c.app.name);

/** Link the kubelet's path to the app's log (replacing what a previous attempt left there). */
export function linkContainerLog(sandbox: Sandbox, logPath: string, app: string): void {
  const path = requestedPath(sandbox.record.logDirectory, logPath);
  if (path === undefined) return;
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  symlinkSync(pod.appLog(sandbox.ref.path, app), path);
}

export function removeLogLinks(sandbox: Sandbox, only?: Container): void {
  for (const app of sandbox.manifest?.apps ?? []) {
    if (only !== undefined && only.app.name !== app.name) continue;
    const path = requestedPath(sandbox.record.logDirectory, containerRecord(app, '0').logPath);
    if (path !== undefined) rmSync(path, { force: true });
  }
}
