/**
 * app-update and app-stats for kvm (ABI 5): an app's cgroup is in its guest
 * (cgroup v2, translate.ts guestCgroup), so the agent applies new limits and
 * reads the usage there. Each request carries an id of its own; the guest's
 * answer comes back as files in the output share, as an exec's does.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpuQuotaUs, PodstageError, type AppOptions, type AppUpdateOptions, type AppUsage } from '@podstage/contract';
import { kvmIo, removeGuestReport, sandboxQemuPid } from '../driver.js';
import { agentRequests, outputDir } from '../guest-share.js';
import { parseGuestUsage } from '../translate.js';

/** Send `words` (after the request's id) and wait for the guest's report; its stdout. */
function guestRequest(podDir: string, op: string, words: string[]): string {
  const io = kvmIo();
  const id = randomBytes(8).toString('hex');
  const name = `${op}.${id}`;
  try {
    const sent = spawnSync(io, ['send', agentRequests(podDir), op, id, ...words], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (sent.status !== 0) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `stage1 kvm: ${sent.stderr.trim().replace(/^kvm-io: /, '')}`);
    const qemu = readFileSync(sandboxQemuPid(podDir), 'utf8').trim();
    const r = spawnSync(io, ['follow', outputDir(podDir), name, qemu], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new PodstageError('ERR_PODSTAGE_STAGE1', `stage1 kvm: ${op} in the guest failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    removeGuestReport(podDir, name);
  }
}

export async function appUpdate(o: AppUpdateOptions): Promise<void> {
  const quota = o.cpuMillis === undefined ? '-' : String(cpuQuotaUs(o.cpuMillis));
  guestRequest(o.podDir, 'update', [o.app, o.memoryBytes === undefined ? '-' : String(o.memoryBytes), quota]);
}

export async function appStats(o: AppOptions): Promise<AppUsage> {
  return parseGuestUsage(guestRequest(o.podDir, 'stats', [o.app]));
}
