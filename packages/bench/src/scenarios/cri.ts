/**
 * What the kubelet waits for: a sandbox and its container running, through
 * the CRI. One client, built from podstage's api.proto, drives `podstage cri`
 * (the stage1 chosen by RuntimeClass handler) and, with --peers=ctr,
 * containerd's CRI plugin, with the same requests: RunPodSandbox,
 * CreateContainer and StartContainer until the container runs, then
 * StopPodSandbox and RemovePodSandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connectCri, type CriClient } from '@podstage/cri/proto';
import { msSince } from '../command.js';
import { run as runCommandLine, type BenchContext } from '../context.js';
import { containerdFor } from '../peers/containerd.js';
import { imageArchive } from '../peers/shared.js';
import { waitForFile } from '../pods.js';
import type { ScenarioResult, Skipped } from '../report.js';
import { failureText, runScenario, type Plan, type ScenarioInfo, type Variant } from '../run.js';
import type { PodstageTarget } from '../targets.js';

export const INFO: ScenarioInfo = {
  id: 'cri',
  title: 'CRI: sandbox and container to running',
  description: "The kubelet's path to a running pod: one CRI client sends RunPodSandbox, CreateContainer and StartContainer (a container that sleeps; as the kubelet asks, a pid namespace per container, and the runtime's default seccomp profile named for both) until the container runs, then StopPodSandbox and RemovePodSandbox. podstage cri chooses the stage1 by RuntimeClass handler; containerd's CRI plugin (with --peers=ctr: the user's containerd, else one the bench starts for the run) gets the same requests.",
  metrics: [
    { id: 'running', label: 'sandbox + container to running', unit: 'ms', ratios: true },
    { id: 'remove', label: 'stop and remove the sandbox', unit: 'ms', ratios: true },
  ],
};

/** CRI's NamespaceMode: NODE, the host's network, as the stage1 variants pin it (no CNI in the figure); CONTAINER, a pid namespace per container, as the kubelet asks unless a pod shares one. */
const NODE = 2;
const CONTAINER = 1;
/**
 * Every runtime gets the same seccomp request, named: the runtime's default profile (a pod of the
 * "restricted" Pod Security level). With none, containerd runs unconfined and podstage its default profile.
 */
const RUNTIME_DEFAULT = { profile_type: 'RuntimeDefault' };

/** How a bench target is asked for through the CRI; undefined for one the CRI cannot choose. */
function criChoice(t: PodstageTarget): { handler: string; hostNetwork: boolean } | undefined {
  if (t.id === 'podstage-host') return { handler: 'host', hostNetwork: true };
  if (t.id === 'podstage-runc') return { handler: 'runc', hostNetwork: true };
  if (t.id === 'podstage-crun') return { handler: 'crun', hostNetwork: true };
  if (t.id === 'podstage-runc-cni') return { handler: 'runc', hostNetwork: false };
  // kvm shares no host network: its pods are on the default network.
  if (t.id === 'podstage-kvm-debian') return { handler: 'kvm', hostNetwork: false };
  return undefined;
}

let sandboxes = 0;

/** One pod through `cri`: the times to running and to removed. */
async function podThroughCri(ctx: BenchContext, cri: CriClient, image: string, handler: string, hostNetwork: boolean): Promise<Record<string, number>> {
  const n = ++sandboxes;
  const config = {
    metadata: { name: `bench-${process.pid}-${n}`, uid: `bench-${process.pid}-${n}`, namespace: 'podstage-bench', attempt: 0 },
    log_directory: join(ctx.workDir, 'cri-logs', String(n)),
    linux: { security_context: { namespace_options: { network: hostNetwork ? NODE : 0, pid: CONTAINER }, seccomp: RUNTIME_DEFAULT } },
  };
  const start = process.hrtime.bigint();
  const { pod_sandbox_id: id } = await cri.runtime('RunPodSandbox', { config, runtime_handler: handler });
  try {
    const { container_id: cid } = await cri.runtime('CreateContainer', {
      pod_sandbox_id: id, sandbox_config: config,
      config: { metadata: { name: 'sleeper', attempt: 0 }, image: { image }, command: ['/bin/sleep', '3600'], log_path: 'sleeper.log', linux: { security_context: { seccomp: RUNTIME_DEFAULT } } },
    });
    await cri.runtime('StartContainer', { container_id: cid });
  } catch (err) {
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id }).then(() => cri.runtime('RemovePodSandbox', { pod_sandbox_id: id })).catch(() => undefined);
    throw err;
  }
  const running = msSince(start);
  const removeStart = process.hrtime.bigint();
  await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  return { running, remove: msSince(removeStart) };
}

/** `podstage cri` on a socket of the bench's own, serving the bench's data directory. */
async function startPodstageCri(ctx: BenchContext): Promise<{ endpoint: CriClient; stop(): Promise<void> }> {
  const socket = join(ctx.workDir, 'cri.sock');
  const child: ChildProcess = spawn(ctx.cli, [`--dir=${ctx.dataDir}`, 'cri', `--listen=unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  await waitForFile(socket, child, () => stderr, 30_000);
  const endpoint = connectCri(`unix://${socket}`);
  return {
    endpoint,
    stop: () => new Promise((resolve) => {
      endpoint.close();
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/**
 * containerd's CRI plugin (the user's containerd, else the bench's own): the bench's
 * image imported into its k8s.io namespace; the user's daemon must have its sandbox
 * image already (the bench does not pull it).
 */
async function detectContainerdCri(ctx: BenchContext): Promise<{ endpoint: CriClient; image: string; version: string; cleanUp(): void } | { reason: string }> {
  const containerd = containerdFor(ctx);
  if ('reason' in containerd) return containerd;
  const endpoint = connectCri(`unix://${containerd.address}`);
  try {
    const version = await endpoint.runtime('Version', { version: 'v1' });
    if (!containerd.own) {
      const status = await endpoint.runtime('Status', { verbose: true });
      const sandboxImage = (JSON.parse(status.info?.config ?? '{}') as { sandboxImage?: string }).sandboxImage;
      if (sandboxImage === undefined) throw new Error("its Status does not name its sandbox image");
      if ((await endpoint.image('ImageStatus', { image: { image: sandboxImage } })).image === null) {
        throw new Error(`its sandbox image ${sandboxImage} is not in its store (ctr -n k8s.io images pull ${sandboxImage})`);
      }
    }
    const ctr = ['ctr', '--address', containerd.address, '--namespace', 'k8s.io'];
    const imported = runCommandLine([...ctr, 'images', 'import', imageArchive(ctx)]);
    const image = /^unpacking (\S+) \(/m.exec(imported)?.[1];
    if (image === undefined) throw new Error(`ctr images import named no image: ${imported.trim()}`);
    return {
      endpoint, image, version: `${version.runtime_name} ${version.runtime_version}${containerd.own ? ", the bench's own daemon" : ""}`,
      cleanUp: () => {
        endpoint.close();
        try {
          runCommandLine([...ctr, 'images', 'remove', image]);
        } catch { /* already gone */ }
      },
    };
  } catch (err) {
    endpoint.close();
    return { reason: `containerd's CRI cannot run the bench here: ${failureText(err)}` };
  }
}

export async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const skipped: Skipped[] = [];
  const variants: Variant[] = [];
  const podstage = await startPodstageCri(ctx);
  const containerd = ctx.peers.some((p) => p.id.startsWith('ctr')) ? await detectContainerdCri(ctx) : { reason: 'only with --peers=ctr' };
  try {
    for (const t of ctx.targets) {
      const choice = criChoice(t);
      if (choice === undefined) {
        skipped.push({ id: t.id, reason: 'the CRI chooses host, runc, crun (host or default network) and kvm (Debian kernel) by RuntimeClass handler; fly runs no mutable pods' });
        continue;
      }
      variants.push({
        id: t.id, label: `${t.label} via podstage cri`, kind: 'podstage',
        measure: () => podThroughCri(ctx, podstage.endpoint, ctx.image, choice.handler, choice.hostNetwork).then((values) => ({ values })),
      });
    }
    if ('reason' in containerd) {
      skipped.push({ id: 'containerd-cri', reason: containerd.reason });
    } else {
      variants.push({
        id: 'containerd-cri', label: `containerd CRI (${containerd.version}, runc, host network)`, kind: 'peer',
        measure: () => podThroughCri(ctx, containerd.endpoint, containerd.image, '', true).then((values) => ({ values })),
      });
    }
    const plan: Plan = { variants, skipped };
    return await runScenario(INFO, plan, ctx.run);
  } finally {
    await podstage.stop();
    if (!('reason' in containerd)) containerd.cleanUp();
  }
}
