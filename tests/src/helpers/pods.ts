import type { Sandbox } from './podstage.js';
import { waitFor } from './wait.js';

export interface PodStatus {
  uuid: string;
  state: string;
  stage1?: string;
  stage1Info?: Record<string, string>;
  pid?: number;
  monitorGone?: boolean;
  networks?: { network: string; ifname: string; ips: string[]; gateway?: string }[];
  apps: { name: string; image: string; imageId: string; exitCode?: number }[];
}

export async function status(sb: Sandbox, uuid: string): Promise<PodStatus> {
  const r = await sb.run(['status', '--format=json', uuid]);
  if (r.exitCode !== 0) throw new Error(`status ${uuid}: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout)) as PodStatus;
}

export async function listPods(sb: Sandbox): Promise<PodStatus[]> {
  const r = await sb.run(['list', '--format=json']);
  if (r.exitCode !== 0) throw new Error(`list: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout)) as PodStatus[];
}

/** The only pod in the sandbox once it reaches `state`. */
export function waitForState(sb: Sandbox, uuid: string, state: string, timeoutMs = 10_000): Promise<PodStatus> {
  return waitFor(`pod ${uuid} to be ${state}`, async () => {
    const s = await status(sb, uuid).catch(() => undefined);
    return s?.state === state ? s : undefined;
  }, timeoutMs);
}

export interface AppStatus {
  name: string;
  state: string;
  exitCode?: number;
}

export async function appStatus(sb: Sandbox, uuid: string, app: string): Promise<AppStatus> {
  const r = await sb.run(['app', 'status', '--format=json', `--app=${app}`, uuid]);
  if (r.exitCode !== 0) throw new Error(`app status ${uuid} ${app}: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout)) as AppStatus;
}

export function waitForAppExit(sb: Sandbox, uuid: string, app: string, timeoutMs = 10_000): Promise<AppStatus> {
  return waitFor(`app ${app} to exit`, async () => {
    const s = await appStatus(sb, uuid, app);
    return s.state === 'exited' ? s : undefined;
  }, timeoutMs);
}
