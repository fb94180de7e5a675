/**
 * How conmon runs a kvm pod (@podstage/stage1-common/monitored). The runtime
 * is libexec/kvm-runtime; the sandbox's bundle runs QEMU with the shares and
 * the agent's port; an app's bundle runs `kvm-io follow`, which relays the
 * app's output and exit status from the guest, where the agent runs the app
 * script this driver put in the pod's export.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appStdio, defaultPodHostname, isInteractive, PodstageError, readStage1Info, writeStage1Info, type Stage1Info } from '@podstage/contract';
import { mountAppRootfs, planApp, shellCommand, sysctlLines, unmountAppRootfs, type AppPlan } from '@podstage/stage1-common';
import { pidNamespaceTarget, type MonitoredPod, type PodDriver } from '@podstage/stage1-common/monitored';
import { readPodNetwork } from '@podstage/net/state';
import { sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';
import { detectAccelerator } from './accel.js';
import { DEFAULT_GUEST_DIR, guestBoot, QEMU } from './guest-boot.js';
import { agentPipe, agentRequests, exportDir, outputDir, removeGuestFile, scriptsDir, setUpShares, shareApp, unshareApp } from './guest-share.js';
import { appScript, checkKvmSupport, guestResources, haltTimeoutS, qemuArgs, seccompProgram, TAP_MIRROR } from './translate.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const KVM_RUNTIME = join(packageDir, 'libexec', 'kvm-runtime');
/** host/kvm-io.c, built with the guest (build-guest.ts). */
export const KVM_IO = join(DEFAULT_GUEST_DIR, 'kvm-io');

export function kvmIo(): string {
  if (!existsSync(KVM_IO)) throw new PodstageError('ERR_PODSTAGE_HOST', `stage1 kvm: ${KVM_IO} is missing`, { hint: 'scripts/setup.sh builds it with the guest (build/guest)' });
  return KVM_IO;
}

/** What the guest leaves in the output share for an app or exec'd command `name`, removed before it (re)starts. */
export function removeGuestReport(podDir: string, name: string): void {
  for (const suffix of ['stdout', 'stderr', 'exit', 'running', 'oom-killed']) removeGuestFile(join(outputDir(podDir), `${name}.${suffix}`));
}

export const sandboxQemuPid = (podDir: string): string => join(podDir, 'stage1', 'bundles', 'sandbox', 'container.pid');

const writeRunScript = (dir: string, command: string[]) => writeFileSync(join(dir, 'run.sh'), `exec ${shellCommand(command)}\n`, { mode: 0o644 });

const NSENTER = '/usr/bin/nsenter';
/** In an app's bundle: the words kvm-runtime's `start` adds to the agent's `start` request (its stdin and terminal). */
const START_ARGS = 'start-args';

/** The pod's CNI address as the guest configures it (kernel command line) and the MAC its NIC takes. */
function guestNetwork(p: MonitoredPod): { cmdline: string[]; nic: { mac: string } } | undefined {
  if (p.options.netns === undefined) return undefined;
  const net = readPodNetwork(p.podDir)?.networks[0];
  const addr = net?.ips.find((a) => a.includes('.'));
  if (net === undefined || addr === undefined || net.mac === undefined) {
    throw new PodstageError('ERR_PODSTAGE_NETWORK', `stage1 kvm: pod ${p.uuid}: its CNI network gave no IPv4 address and MAC for the VM`);
  }
  return { cmdline: [`podstage.ip=${addr}`, ...(net.gateway === undefined ? [] : [`podstage.gw=${net.gateway}`])], nic: { mac: net.mac } };
}

export const appPlan = (p: Pick<MonitoredPod, 'podDir' | 'manifest' | 'options'>, app: string): AppPlan => planApp(p.podDir, p.manifest, app, p.options.insecureOptions);

export const kvmDriver: PodDriver = {
  runtime: (p) => [KVM_RUNTIME, p.podDir, kvmIo()],
  preparePod: (p) => setUpShares(p.podDir),
  writeSandboxBundle(p, dir) {
    const boot = guestBoot(p.manifest);
    const accel = detectAccelerator();
    const info: Stage1Info = { accelerator: accel.accel, 'accelerator-reason': accel.reason, kernel: boot.kernel };
    writeStage1Info(p.podDir, info);
    writeFileSync(join(dir, 'halt-timeout'), `${haltTimeoutS(p.manifest)}\n`);
    // The guest's agent sets them before it says ready: the VM is the pod, every sysctl is its own.
    writeFileSync(join(scriptsDir(p.podDir), 'sysctls'), sysctlLines(p.manifest));
    const hostname = p.options.hostname ?? defaultPodHostname(p.uuid);
    const net = guestNetwork(p);
    const qemu = [QEMU, ...qemuArgs({
      ...boot, cmdline: [boot.cmdline, `podstage.hostname=${hostname}`, ...(net?.cmdline ?? [])].join(' '),
      exportDir: exportDir(p.podDir), outputDir: outputDir(p.podDir), agentPipe: agentPipe(p.podDir), accel, ...guestResources(p.manifest), nic: net?.nic,
    })];
    // On a CNI network QEMU runs in the pod's namespace, where its tap is mirrored to the pod's interface.
    writeRunScript(dir, p.options.netns === undefined ? qemu : [NSENTER, `--net=${p.options.netns}`, '/bin/sh', '-c', `${TAP_MIRROR} && exec "$0" "$@"`, ...qemu]);
  },
  // From QEMU's start to the agent's first word: what a pod pays for its own kernel.
  sandboxCreated: (p, ms) => writeStage1Info(p.podDir, { ...readStage1Info(p.podDir), 'guest-boot-ms': String(ms) }),
  check: (p) => checkKvmSupport(p.manifest, p.options),
  writeAppBundle(p, app, dir, qemuPid) {
    const plan = appPlan(p, app);
    mountAppRootfs(p.podDir, app);
    shareApp(p.podDir, plan);
    removeGuestReport(p.podDir, app);
    const target = pidNamespaceTarget(p, app);
    const script = appScript(plan, seccompProgram(plan, p.options.insecureOptions), {
      sharePid: sharesPidNamespace(p.manifest), ...(target === undefined ? {} : { pidNamespaceOf: target.app }),
    });
    writeFileSync(join(scriptsDir(p.podDir), `app-${app}.sh`), script);
    // An app to attach to (ABI 6): kvm-io relays its stdin and terminal; the agent sets them up at start.
    const stdio = appStdio(plan.app.annotations, app);
    const input = isInteractive(stdio) ? ['--input', agentRequests(p.podDir)] : [];
    // The guest's OOM report becomes the bundle's `oom` file, as conmon writes it under runc (libexec/app-exited reads it).
    const oom = ['--oom-file', join(dir, 'oom')];
    // "$@": kvm-runtime's --console-socket for a terminal.
    writeFileSync(join(dir, 'run.sh'), `exec ${shellCommand([kvmIo(), 'follow', ...input, ...oom])} "$@" ${shellCommand([outputDir(p.podDir), app, String(qemuPid)])}\n`, { mode: 0o644 });
    writeFileSync(join(dir, START_ARGS), `${stdio.tty ? 'tty 80 24' : isInteractive(stdio) ? 'stdin' : ''}\n`);
  },
  appRemoved(p, app) {
    unshareApp(p.podDir, app);
    unmountAppRootfs(p.podDir, app);
  },
};
