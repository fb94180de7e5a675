/**
 * How conmon runs a runc pod (@podstage/stage1-common/monitored): runc or crun
 * as the runtime (behind libexec/pod-runtime), OCI bundles from translate.ts. The
 * sandbox is a namespace holder (holder.sh), or, when the apps share its pid namespace,
 * a container whose root holds only Debian's static busybox; each app's overlay root is
 * mounted on the host.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostNamespaces, podSysctls, replaceFile } from '@podstage/contract';
import { mountAppRootfs, planApp, unmountAppRootfs } from '@podstage/stage1-common';
import { bundleDir, pidNamespaceTarget, SANDBOX, type MonitoredPod, type PodDriver } from '@podstage/stage1-common/monitored';
import { hostDevices } from './devices.js';
import { sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';
import { mountPodShm, podShm } from './pod-shm.js';
import { bareRuntimeCommand, loadsCompiledSeccomp, podRuntime } from './runtime.js';
import { appConfig, checkRuncSupport, holderScript, holdsNamespacesOnly, SANDBOX_BUSYBOX, sandboxConfig, type AppContext, type SandboxContext } from './translate.js';

export const PAUSE_BINARY = '/bin/busybox';
/** The pod's runtime command line: the OCI runtime, but for a sandbox that only holds namespaces. */
export const POD_RUNTIME = fileURLToPath(new URL('../libexec/pod-runtime', import.meta.url));
/** In the sandbox's bundle of a pod whose sandbox only holds namespaces, what pod-runtime runs for it. */
const HOLDER_SCRIPT = 'holder.sh';

/** This process's own limits, which an app may not exceed here (no CAP_SYS_RESOURCE). */
export function runtimeLimits(): Pick<AppContext, 'minOomScoreAdj' | 'maxOpenFiles'> {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return {
    minOomScoreAdj: Number.parseInt(readFileSync('/proc/self/oom_score_adj', 'utf8'), 10),
    maxOpenFiles: hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard),
  };
}

export function appContext(p: MonitoredPod, sandboxPid: number): AppContext {
  return {
    uuid: p.uuid, cgroupParent: p.options.cgroupParent, sandboxPid, sharePid: sharesPidNamespace(p.manifest), host: hostNamespaces(p.manifest.annotations), shm: podShm(p.podDir), insecureOptions: p.options.insecureOptions, ...runtimeLimits(),
    compiledSeccomp: loadsCompiledSeccomp(podRuntimeName(p)),
  };
}

export const podRuntimeName = (p: MonitoredPod) => podRuntime(p.options.ociRuntime, p.manifest.annotations);

function writeConfig(dir: string, config: object): void {
  replaceFile(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

export const runcDriver: PodDriver = {
  runtime(p) {
    const words = bareRuntimeCommand(podRuntimeName(p));
    return [POD_RUNTIME, p.podDir, String(words.length), ...words];
  },
  preparePod: (p) => void mountPodShm(p.podDir),
  sandboxRunsWhenCreated: (p) => existsSync(join(bundleDir(p.podDir, SANDBOX), HOLDER_SCRIPT)),
  writeSandboxBundle(p, dir) {
    const ctx: SandboxContext = {
      uuid: p.uuid, cgroupParent: p.options.cgroupParent, rootfs: join(dir, 'rootfs'), net: p.options.net === 'none' ? 'none' : 'host', netns: p.options.netns, hostname: p.options.hostname, insecureOptions: p.options.insecureOptions,
      host: hostNamespaces(p.manifest.annotations), sysctls: podSysctls(p.manifest.annotations), compiledSeccomp: loadsCompiledSeccomp(podRuntimeName(p)),
    };
    if (holdsNamespacesOnly(sharesPidNamespace(p.manifest), ctx.host)) {
      writeFileSync(join(dir, HOLDER_SCRIPT), holderScript(ctx), { mode: 0o644 });
      return;
    }
    mkdirSync(ctx.rootfs, { recursive: true });
    const pause = join(ctx.rootfs, SANDBOX_BUSYBOX);
    if (!existsSync(pause)) copyFileSync(PAUSE_BINARY, pause);
    writeConfig(dir, sandboxConfig(ctx));
  },
  writeAppBundle(p, app, dir, sandboxPid) {
    const plan = planApp(p.podDir, p.manifest, app, p.options.insecureOptions);
    mountAppRootfs(p.podDir, app);
    const target = pidNamespaceTarget(p, app);
    writeConfig(dir, appConfig(plan, { ...appContext(p, sandboxPid), ...(target === undefined ? {} : { pidNamespaceOf: target.pid }), devices: hostDevices(plan.app) }));
  },
  appRemoved: (p, app) => unmountAppRootfs(p.podDir, app),
  check: (p) => checkRuncSupport(p.manifest, p.options),
};

