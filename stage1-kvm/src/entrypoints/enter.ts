/**
 * enter for kvm: the command runs in the running app inside the guest. Its
 * script goes into the pod's export, the agent is asked to run it, and
 * `kvm-io follow` copies its output to our stdout and stderr and exits with
 * its status. Our stdin goes to it as `input` requests (unless it is
 * /dev/null); with `--tty` the guest gives it a terminal (podstage-tty) whose
 * size follows ours, and ours is put in raw mode: the guest's terminal does
 * the echoing and line editing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError, readPodManifest, readPodOptions, type EnterOptions } from '@podstage/contract';
import { AgentRequests } from '../agent-requests.js';
import { appPlan, kvmIo, removeGuestReport, sandboxQemuPid } from '../driver.js';
import { agentRequests, outputDir, scriptsDir } from '../guest-share.js';
import { execScript, seccompProgram } from '../translate.js';

/** /dev/null (char 1:3): nothing to send, and no FIFO in the guest. */
function stdinIsNull(): boolean {
  const st = fstatSync(0);
  return st.isCharacterDevice() && st.rdev === ((1 << 8) | 3);
}

/** Copy our stdin (and, with a terminal, its size) to the command `name` until it exits; returns the undo. */
function forwardInput(requests: AgentRequests, name: string, tty: boolean): () => void {
  const failed = (e: unknown) => process.stderr.write(`${(e as Error).message}\n`);
  const onData = (chunk: Buffer) => void requests.input(name, chunk).catch(failed);
  const onEnd = () => void requests.send(['input-end', name]).catch(failed);
  const onResize = () => void requests.send(['resize', name, String(process.stdout.columns), String(process.stdout.rows)]).catch(failed);
  // stty's raw, not Node's setRawMode, which keeps ONLCR: the guest's terminal already turned \n into \r\n.
  if (tty && process.stdin.isTTY) spawnSync('stty', ['raw', '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
  process.stdin.on('data', onData).on('end', onEnd);
  if (tty) process.stdout.on('resize', onResize);
  return () => {
    process.stdout.off('resize', onResize);
    process.stdin.off('data', onData).off('end', onEnd);
    process.stdin.destroy();
  };
}

export async function enter(o: EnterOptions): Promise<number> {
  if (o.command.length === 0) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', 'stage1 kvm: enter needs a command', { hint: 'podstage enter --app=<app> <uuid> <command> [args...]' });
  }
  const io = kvmIo();
  const options = readPodOptions(o.podDir);
  const plan = appPlan({ podDir: o.podDir, manifest: readPodManifest(o.podDir), options }, o.app);
  const id = randomBytes(8).toString('hex');
  const name = `exec-${id}`;
  const tty = o.tty === true;
  const mode = tty ? ['tty', String(process.stdout.columns || 80), String(process.stdout.rows || 24)] : stdinIsNull() ? [] : ['stdin'];
  const script = join(scriptsDir(o.podDir), `${name}.sh`);
  writeFileSync(script, execScript(plan, o.command, seccompProgram(plan, options.insecureOptions) !== undefined));
  let undo = (): void => undefined;
  let requests: AgentRequests | undefined;
  try {
    requests = new AgentRequests(agentRequests(o.podDir));
    await requests.send(['exec', id, ...mode]);
    const qemu = readFileSync(sandboxQemuPid(o.podDir), 'utf8').trim();
    const follow = spawn(io, ['follow', outputDir(o.podDir), name, qemu], { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise<number>((resolve) => {
      follow.once('error', () => resolve(255));
      follow.once('exit', (code) => resolve(code ?? 255));
    });
    if (mode.length > 0) undo = forwardInput(requests, name, tty);
    // Ended by our caller (the CRI's client went away, ExecSync's timeout): the command in the guest
    // ends too; kvm-io, in our process group, has had the signal, so the clean-up below follows.
    const agent = requests;
    for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.once(sig, () => void agent.send(['signal', name, 'KILL']).catch(() => undefined));
    return await exited;
  } finally {
    undo();
    requests?.close();
    rmSync(script, { force: true });
    removeGuestReport(o.podDir, name);
  }
}
