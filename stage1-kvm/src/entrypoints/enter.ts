/**
 * enter for kvm: the command runs in the running app inside the guest. Its
 * script goes into the pod's export, the agent is asked to run it, and
 * `kvm-io follow` copies its output to our stdout and stderr and exits with
 * its status. No terminal or stdin reaches the guest yet.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError, readPodManifest, readPodOptions, type EnterOptions } from '@podstage/contract';
import { appPlan, kvmIo, removeGuestReport, sandboxQemuPid } from '../driver.js';
import { agentRequests, outputDir, scriptsDir } from '../guest-share.js';
import { execScript, seccompProgram } from '../translate.js';

export async function enter(o: EnterOptions): Promise<number> {
  if (o.command.length === 0) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', 'stage1 kvm: enter needs a command: there is no terminal into the guest yet', { hint: 'podstage enter --app=<app> <uuid> <command> [args...]' });
  }
  const io = kvmIo();
  const options = readPodOptions(o.podDir);
  const plan = appPlan({ podDir: o.podDir, manifest: readPodManifest(o.podDir), options }, o.app);
  const name = `exec-${randomBytes(8).toString('hex')}`;
  const script = join(scriptsDir(o.podDir), `${name}.sh`);
  writeFileSync(script, execScript(plan, o.command, seccompProgram(plan, options.insecureOptions) !== undefined));
  try {
    const sent = spawnSync(io, ['send', agentRequests(o.podDir), 'exec', name.replace(/^exec-/, '')], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (sent.status !== 0) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `stage1 kvm: ${sent.stderr.trim().replace(/^kvm-io: /, '')}`);
    const qemu = readFileSync(sandboxQemuPid(o.podDir), 'utf8').trim();
    return spawnSync(io, ['follow', outputDir(o.podDir), name, qemu], { stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 255;
  } finally {
    rmSync(script, { force: true });
    removeGuestReport(o.podDir, name);
  }
}
