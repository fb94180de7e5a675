/**
 * Container logs where the kubelet looks for them: when the sandbox and
 * container configs name log_directory/log_path, the container's conmon writes
 * its CRI-format log right there (the app's LOG_PATH_ANNOTATION), as CRI-O's
 * does, so the kubelet can rotate it and ReopenContainerLog start a new one;
 * otherwise it stays the app's own `apps/<app>/log`.
 */
import { rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pod } from '@podstage/contract';
import { containerRecord } from './records.js';
import type { Container, Sandbox } from './state.js';

/** log_directory/log_path, when both are given and the path stays in the directory. */
export function requestedLogPath(logDirectory: string, logPath: string): string | undefined {
  if (logDirectory === '' || logPath === '' || !isAbsolute(logDirectory)) return undefined;
  const path = join(logDirectory, logPath);
  return path.startsWith(`${logDirectory}/`) ? path : undefined;
}

export const containerLogPath = (c: Container): string =>
  requestedLogPath(c.sandbox.record.logDirectory, c.record.logPath) ?? pod.appLog(c.sandbox.ref.path, c.app.name);

/** The logs written at the kubelet's paths go with their containers. */
export function removeContainerLogs(sandbox: Sandbox, only?: Container): void {
  for (const app of sandbox.manifest?.apps ?? []) {
    if (only !== undefined && only.app.name !== app.name) continue;
    const path = requestedLogPath(sandbox.record.logDirectory, containerRecord(app, '0').logPath);
    if (path !== undefined) rmSync(path, { force: true });
  }
}
