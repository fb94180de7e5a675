/**
 * stop and the app-* entrypoints of every stage1 whose pods have a
 * PodSupervisor: they talk to it over the control socket.
 */
import { readPidFile, type AppOptions, type StopOptions } from '@podstage/contract';
import { backoff, processGone } from '@podstage/linux';
import { control, sendControl } from './control/client.js';

const processAlive = (pid: number) => !processGone(pid);

/**
 * Ask the supervisor to stop the apps (SIGTERM, 10 s, SIGKILL; --force: SIGKILL),
 * then wait for the pod's process to exit. If the supervisor does not answer,
 * signal that process itself.
 */
export async function supervisedStop(o: StopOptions): Promise<void> {
  const pid = readPidFile(o.podDir);
  if (pid === undefined || !processAlive(pid)) return;
  const reply = await sendControl(o.podDir, { op: 'stop', force: o.force }, 5_000).catch(() => undefined);
  if (reply === undefined || !reply.ok) process.kill(pid, o.force ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + (o.force ? 5_000 : 15_000);
  const pause = backoff();
  while (processAlive(pid) && Date.now() < deadline) await pause();
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  while (processAlive(pid)) await pause();
}

export async function supervisedAppStart(o: AppOptions): Promise<void> {
  await control(o.podDir, { op: 'app-start', app: o.app });
}

export async function supervisedAppStop(o: AppOptions): Promise<void> {
  await control(o.podDir, { op: 'app-stop', app: o.app, force: o.force });
}

export async function supervisedAppRm(o: AppOptions): Promise<void> {
  await control(o.podDir, { op: 'app-rm', app: o.app });
}

/** The app is already in the pod manifest (stage0 added it); nothing to prepare before app-start. */
export async function supervisedAppAdd(_o: AppOptions): Promise<void> {}
