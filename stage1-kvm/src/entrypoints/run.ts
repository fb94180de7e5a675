/**
 * A kvm pod on the host (the stage1's shim, like the runc pod process): the
 * shares set up, QEMU started in the pod's cgroup with the agent channel, and,
 * once the guest agent is ready, the shared PodSupervisor running the apps in
 * the guest: exit statuses, CRI logs, the control socket (stop, mutable pods,
 * enter) and the pod's end. At the end the guest is told to halt, and QEMU is
 * killed if it does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pod, readPodManifest, readPodOptions, writeFileAtomic, writePidFile, writeStage1Info, type RunOptions } from '@podstage/contract';
import { createCgroup, joinCgroup, PodSupervisor, podCgroup, unmountAllAppRootfs } from '@podstage/stage1-common';
import { detectAccelerator } from '../accel.js';
import { AgentChannel } from '../agent-channel.js';
import { guestLauncher } from '../guest-launcher.js';
import { agentSocket, exportDir, outputDir, setUpShares, tearDownShares } from '../guest-share.js';
import { guestBoot, QEMU } from '../guest-boot.js';
import { checkKvmSupport, guestResources, haltTimeoutS, qemuArgs } from '../translate.js';

/** util-linux setpriv: QEMU gets SIGKILL if this process dies, so no VM outlives its pod's process. */
const SETPRIV = '/usr/bin/setpriv';
/** TCG under load boots slowly; a guest whose agent is not up by then is given up. */
export const BOOT_TIMEOUT_S = 180;

const exitOf = (qemu: ChildProcess) => new Promise<void>((resolve) => {
  if (qemu.exitCode !== null || qemu.signalCode !== null) resolve();
  else qemu.once('exit', () => resolve());
});

/** Resolves true when the agent says ready, false if QEMU exits or the boot times out first. */
function agentReady(agent: AgentChannel, qemu: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), BOOT_TIMEOUT_S * 1000);
    agent.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
    void exitOf(qemu).then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export async function run(o: RunOptions): Promise<never> {
  const m = readPodManifest(o.podDir);
  const options = readPodOptions(o.podDir);
  checkKvmSupport(m, { ...options, net: o.net, mutable: o.mutable, insecureOptions: o.insecureOptions });
  const boot = guestBoot(m);
  const accel = detectAccelerator();
  writePidFile(o.podDir, process.pid);
  writeFileAtomic(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  const info = { accelerator: accel.accel, 'accelerator-reason': accel.reason, kernel: boot.kernel };
  writeStage1Info(o.podDir, info);
  if (o.debug) process.stderr.write(`stage1 kvm: accelerator ${accel.accel}: ${accel.reason}\n`);
  setUpShares(o.podDir);
  // QEMU (our child) lives in the pod's cgroup, so the whole VM is accounted and limited there.
  createCgroup(podCgroup(o.uuid));
  joinCgroup(podCgroup(o.uuid));
  const agent = await AgentChannel.listen(agentSocket(o.podDir));
  const args = qemuArgs({
    ...boot, exportDir: exportDir(o.podDir), outputDir: outputDir(o.podDir), agentSocket: agentSocket(o.podDir), accel, ...guestResources(m),
  });
  // The serial console carries only what the guest's kernel and init say (to our stderr).
  const spawnedAt = performance.now();
  const qemu = spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', QEMU, ...args], { stdio: ['ignore', 2, 2] });
  const haltTimeout = haltTimeoutS(m);

  const end = async (code: number): Promise<never> => {
    agent.send('halt');
    const halted = await Promise.race([exitOf(qemu).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), haltTimeout * 1000))]);
    if (!halted) {
      process.stderr.write(`stage1 kvm: the guest did not halt within ${haltTimeout} s after its apps exited: killing QEMU\n`);
      qemu.kill('SIGKILL');
      await exitOf(qemu);
    }
    agent.close();
    tearDownShares(o.podDir);
    unmountAllAppRootfs(o.podDir);
    process.exit(code);
  };

  // Stopped while booting: there are no apps yet to stop gracefully.
  let stoppedWhileBooting = false;
  const stopBoot = () => {
    stoppedWhileBooting = true;
    qemu.kill('SIGKILL');
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, stopBoot);
  const ready = await agentReady(agent, qemu);
  // From QEMU's start to the agent's first word: what a pod pays for its own kernel.
  if (ready) writeStage1Info(o.podDir, { ...info, 'guest-boot-ms': String(Math.round(performance.now() - spawnedAt)) });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(sig, stopBoot);
  if (!ready) {
    if (stoppedWhileBooting) return end(128 + 15);
    process.stderr.write(`stage1 kvm: the guest's agent did not start (QEMU ${qemu.exitCode === null && qemu.signalCode === null ? `still booting after ${BOOT_TIMEOUT_S} s` : 'exited'}; see the console output above)\n`);
    qemu.kill('SIGKILL');
    return end(255);
  }
  const supervisor = new PodSupervisor(o.podDir, options, guestLauncher(o.podDir, o.insecureOptions, agent), (code) => void end(code));
  // The guest went away on its own (a panic, a halt from inside): end the pod; running apps already got their status.
  void exitOf(qemu).then(() => supervisor.stopPod(true));
  await supervisor.begin('kvm');
  return new Promise<never>(() => {});
}
