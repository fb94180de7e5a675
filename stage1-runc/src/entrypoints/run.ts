import { closeSync, writeFileSync } from 'node:fs';
import { pod, writePidFile, type RunOptions } from '@podstage/contract';
import { createCgroup, CriLogTee, podCgroup } from '@podstage/stage1-common';
import { createSandbox, loadPod, podEnded, podExitCode, recordFailure, startApp, startSandbox, stopPod, type RuncPod } from '../pod.js';
import { checkRuncSupport } from '../translate.js';

/** What an app that could not even be started makes the pod exit with. */
const START_FAILED = 254;

/**
 * Start the pod: the sandbox created under the conmon that takes over the pod
 * lock, then, side by side, its start and every app under a conmon of its own. Detached (ABI 2 `--detach`), this
 * returns as soon as the pod runs. In the foreground it stays as the user's
 * end of the pod, like `podman run`: it copies the apps' logs to its stdout and
 * stderr, turns SIGINT/SIGTERM/SIGHUP into a stop, and exits with the pod's
 * code. Killing it leaves the pod running.
 */
export async function run(o: RunOptions): Promise<never> {
  const p = loadPod(o.uuid, o.podDir);
  checkRuncSupport(p.manifest, { ...p.options, net: o.net, mutable: o.mutable, insecureOptions: o.insecureOptions });
  writeFileSync(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  createCgroup(podCgroup(o.uuid));
  const sandbox = await createSandbox(p, o.lockFd);
  closeSync(o.lockFd);
  try {
    const { interactive } = o;
    await Promise.all([startSandbox(p), ...p.manifest.apps.map((app) => startApp(p, app.name, { interactive }))]);
    writePidFile(o.podDir, sandbox.monitorPid);
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    process.stderr.write(`stage1 runc: ${(err as Error).message}${hint ? `; ${hint}` : ''}\n`);
    recordFailure(o.podDir, START_FAILED);
    await stopPod(p, true);
    process.exit(START_FAILED);
  }
  if (p.manifest.apps.length === 0 && !o.mutable) await stopPod(p, false);
  if (o.detach === true) process.exit(0);
  return foreground(p);
}

async function foreground(p: RuncPod): Promise<never> {
  const tee = new CriLogTee({ stdout: p.options.stdout ?? 'stream', stderr: p.options.stderr ?? 'stream' });
  for (const app of p.manifest.apps) tee.follow(pod.appLog(p.podDir, app.name));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stopPod(loadPod(p.uuid, p.podDir), false));
  await podEnded(p, Infinity, () => tee.poll());
  tee.poll();
  tee.close();
  process.exit(podExitCode(p));
}
