/**
 * The CRI server (runtime.v1) driven by a client built from podstage's own
 * api.proto, against a real `podstage cri` process: per stage1 (chosen by
 * RuntimeClass handler) a sandbox on the default network, a container with its
 * log where the kubelet asked, ExecSync, stop and remove; the stage1 chosen by
 * annotation; a server restart with pods running; images; the errors a kubelet
 * meets; and crictl 1.26's socket-path authority.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import * as assert from 'uvu/assert';
import { removeCgroupTrees } from '@podstage/linux';
import { rejection, startCriServer, type CriServer } from '../helpers/cri.js';
import { DEFAULT_IMAGE, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods } from '../helpers/pods.js';
import { capSets } from '../helpers/setuid-program.js';
import { randomLayer, startRegistry, TOKEN_PASSWORD, TOKEN_REFRESH, TOKEN_USER, startRegistryProxy, writeImageLayout, writeMultiPlatformLayout } from '../helpers/registry.js';
import { suite } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const t = suite<{ sb: Sandbox; config: string; cri: CriServer }>('cri', {} as never);

t.before(async (ctx) => {
  ctx.sb = await sandbox();
  ctx.config = join(ctx.sb.dir, 'config');
  ctx.cri = await startCriServer(ctx.sb, ctx.config);
});

t.after(async ({ sb, cri }) => {
  await cri?.stop();
  await sb.cleanup();
});

type Obj = Record<string, any>;

/** rkt's default capabilities as /proc shows them. */
const DEFAULT_CAPS = '00000000a80425fb';
const NONE = '0000000000000000';

function sandboxConfig(name: string, logDirectory: string, extra: Obj = {}): Obj {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 }, hostname: name, log_directory: logDirectory,
    labels: { app: name }, annotations: {}, dns_config: { servers: ['10.215.0.1'], searches: ['cluster.local'], options: ['ndots:5'] }, ...extra,
  };
}

function containerConfig(extra: Obj = {}): Obj {
  return {
    metadata: { name: 'main', attempt: 0 }, image: { image: DEFAULT_IMAGE }, command: ['sh', '-c', 'echo hello-$(hostname); exec sleep 1000'],
    envs: [{ key: 'GREETING', value: 'hi' }], labels: { tier: 'front' }, log_path: 'main.log',
    linux: { security_context: { capabilities: { drop_capabilities: ['NET_RAW'] } } }, ...extra,
  };
}

/**
 * cAdvisor's metrics the kubelet reads (critest's list, less what it says no runtime has yet), and
 * those whose values need block-I/O accounting (described, but their values may be missing).
 */
const CADVISOR_METRICS = [
  'container_cpu_cfs_periods_total', 'container_cpu_cfs_throttled_periods_total', 'container_cpu_cfs_throttled_seconds_total', 'container_cpu_system_seconds_total',
  'container_cpu_usage_seconds_total', 'container_cpu_user_seconds_total', 'container_file_descriptors', 'container_fs_inodes_free', 'container_fs_inodes_total',
  'container_fs_limit_bytes', 'container_fs_usage_bytes', 'container_last_seen', 'container_memory_cache', 'container_memory_failcnt', 'container_memory_failures_total',
  'container_memory_kernel_usage', 'container_memory_mapped_file', 'container_memory_max_usage_bytes', 'container_memory_rss', 'container_memory_swap',
  'container_memory_usage_bytes', 'container_memory_working_set_bytes', 'container_network_receive_bytes_total', 'container_network_receive_errors_total',
  'container_network_receive_packets_dropped_total', 'container_network_receive_packets_total', 'container_network_transmit_bytes_total',
  'container_network_transmit_errors_total', 'container_network_transmit_packets_dropped_total', 'container_network_transmit_packets_total', 'container_oom_events_total',
  'container_processes', 'container_sockets', 'container_spec_cpu_period', 'container_spec_cpu_shares', 'container_spec_memory_limit_bytes',
  'container_spec_memory_swap_limit_bytes', 'container_start_time_seconds', 'container_threads', 'container_threads_max',
];
const BLOCK_IO_METRICS = ['container_blkio_device_usage_total', 'container_fs_reads_bytes_total', 'container_fs_reads_total', 'container_fs_writes_bytes_total', 'container_fs_writes_total'];
/** What a kvm app's figures are when its cgroup is in the guest: its stage1's (app-stats), its layer's and its pod network's. */
const KVM_METRICS = [
  'container_cpu_usage_seconds_total', 'container_memory_usage_bytes', 'container_memory_working_set_bytes', 'container_memory_rss', 'container_memory_failures_total',
  'container_processes', 'container_fs_usage_bytes', 'container_fs_limit_bytes', 'container_fs_inodes_total', 'container_fs_inodes_free', 'container_start_time_seconds',
  'container_last_seen', 'container_network_receive_bytes_total', 'container_network_transmit_packets_total',
];

const containerState = async (cri: CriServer, id: string) => ((await cri.runtime<Obj>('ContainerStatus', { container_id: id })).status as Obj);

t('seccomp named by neither field: the default profile; Unconfined with --seccomp-when-empty=Unconfined, where a named RuntimeDefault keeps it; a bad value is refused with the flag\'s name', async (ctx) => {
  const seccompMode = async (cid: string) => String((await ctx.cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['grep', '^Seccomp:', '/proc/self/status'], timeout: 30 })).stdout).trim();
  const started = async (id: string, config: Obj, name: string, securityContext?: Obj) => {
    const { container_id: cid } = await ctx.cri.runtime<Obj>('CreateContainer', {
      pod_sandbox_id: id, sandbox_config: config,
      config: containerConfig({ metadata: { name, attempt: 0 }, log_path: `${name}.log`, ...(securityContext === undefined ? {} : { linux: { security_context: securityContext } }) }),
    });
    await ctx.cri.runtime('StartContainer', { container_id: cid });
    return cid as string;
  };
  const config = sandboxConfig('seccomp-empty', join(ctx.sb.dir, 'logs', 'seccomp-empty'));
  const { pod_sandbox_id: id } = await ctx.cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  assert.match(await seccompMode(await started(id, config, 'none-named')), /^Seccomp:\s+2$/);
  await ctx.cri.stop();
  ctx.cri = await startCriServer(ctx.sb, ctx.config, { cri: ['--seccomp-when-empty=Unconfined'] });
  try {
    assert.match(await seccompMode(await started(id, config, 'no-context')), /^Seccomp:\s+0$/);
    assert.match(await seccompMode(await started(id, config, 'empty-path', { seccomp_profile_path: '' })), /^Seccomp:\s+0$/);
    assert.match(await seccompMode(await started(id, config, 'runtime-default', { seccomp: { profile_type: 'RuntimeDefault' } })), /^Seccomp:\s+2$/);
    await ctx.cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  } finally {
    await ctx.cri.stop();
    ctx.cri = await startCriServer(ctx.sb, ctx.config);
  }
  const bad = await ctx.sb.run(['cri', `--listen=unix://${join(ctx.sb.dir, 'other.sock')}`, '--seccomp-when-empty=unconfined']);
  assert.is(bad.exitCode, 2, 'a usage error of a command that runs no app');
  assert.match(String(bad.stderr), '--seccomp-when-empty=unconfined: expected RuntimeDefault or Unconfined');
});

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1} (RuntimeClass handler): sandbox on the default network, container, log, ExecSync, host-path mounts added to the running sandbox, stop and remove`, async ({ sb, cri }) => {
    if (stage1 === 'kvm' && !existsSync(join(REPO, 'build', 'guest', 'vmlinux'))) throw new Error('build/guest is missing: scripts/setup.sh builds the guest');
    const logDir = join(sb.dir, 'logs', stage1);
    const config = sandboxConfig(`web-${stage1}`, logDir);
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
    const st = await cri.runtime<Obj>('PodSandboxStatus', { pod_sandbox_id: id });
    assert.is(st.info.stage1, stage1, 'the handler chose the stage1');
    assert.is(st.status.state, 'SANDBOX_READY');
    assert.equal(st.status.metadata, config.metadata);
    assert.match(st.status.network.ip, /^10\.215\.\d+\.\d+$/);
    assert.ok((await listPods(sb)).some((p) => p.uuid === id && p.state === 'running'), 'podstage list shows the sandbox');

    const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: id, config: containerConfig(), sandbox_config: config });
    assert.is((await containerState(cri, cid)).state, 'CONTAINER_CREATED');
    await cri.runtime('StartContainer', { container_id: cid });
    assert.is((await containerState(cri, cid)).state, 'CONTAINER_RUNNING');
    const log = join(logDir, 'main.log');
    const line = await waitFor('the container log', () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').find((l) => l.includes('hello-')) : undefined), 30_000);
    assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ stdout F hello-web-${stage1}$`));

    const exec = await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['sh', '-c', 'echo $GREETING; cat /etc/resolv.conf; grep CapBnd /proc/self/status; echo oops >&2; exit 3'], timeout: 60 });
    assert.is(exec.exit_code, 3);
    const out = String(exec.stdout);
    assert.match(out, /^hi\n/);
    assert.match(out, /nameserver 10\.215\.0\.1\n/);
    assert.match(out, /search cluster\.local\n/);
    assert.match(out, /options ndots:5\n/);
    const capBnd = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(out)?.[1] ?? 'ffff'}`);
    assert.is(capBnd & (1n << 13n), 0n, 'CAP_NET_RAW dropped');
    assert.is(String(exec.stderr), 'oops\n');
    // ExecSync's timeout ends the command itself, not only what waited for it.
    const slow = await rejection(cri.runtime('ExecSync', { container_id: cid, cmd: ['sleep', '77'], timeout: 1 }));
    assert.is(slow.code, grpcStatus.DEADLINE_EXCEEDED, slow.details);
    await waitFor('the timed-out command to be gone', async () => {
      const ps = await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['sh', '-c', 'ps -o args | grep "^sleep 77" || true'], timeout: 30 });
      return String(ps.stdout).trim() === '' ? true : undefined;
    }, 15_000);

    const cs = (await cri.runtime<Obj>('ContainerStats', { container_id: cid })).stats;
    assert.is(cs.attributes.id, cid);
    // kvm: measured in the guest by its agent (app-stats), the others from the host's cgroups.
    assert.ok(Number(cs.memory.working_set_bytes.value) > 0, JSON.stringify(cs.memory));
    assert.ok(Number(cs.cpu.usage_core_nano_seconds.value) > 0, JSON.stringify(cs.cpu));
    const ps = (await cri.runtime<Obj>('PodSandboxStats', { pod_sandbox_id: id })).stats;
    assert.ok(Number(ps.linux.memory.working_set_bytes.value) > 0, JSON.stringify(ps.linux.memory));
    assert.ok(Number(ps.linux.process.process_count.value) >= 1);
    assert.is(ps.linux.network.default_interface.name, 'eth0');
    assert.equal((ps.linux.containers as Obj[]).map((c) => c.attributes.id), [cid]);
    assert.equal(((await cri.runtime<Obj>('ListPodSandboxStats', { filter: { id } })).stats as Obj[]).map((x) => x.attributes.id), [id]);
    // The kubelet's CRI metrics collector: cAdvisor's names, one value per descriptor's labels.
    const descriptors = (await cri.runtime<Obj>('ListMetricDescriptors', {})).descriptors as Obj[];
    const workingSet = descriptors.find((d) => d.name === 'container_memory_working_set_bytes');
    assert.equal(workingSet?.label_keys, ['container', 'id', 'image', 'name', 'namespace', 'pod']);
    const podMetrics = ((await cri.runtime<Obj>('ListPodSandboxMetrics', {})).pod_metrics as Obj[]).find((m) => m.pod_sandbox_id === id);
    const mainMetrics = (podMetrics?.container_metrics as Obj[] | undefined)?.find((c) => c.container_id === cid)?.metrics as Obj[] | undefined;
    const sampleOf = (name: string) => mainMetrics?.find((m) => m.name === name);
    assert.ok(Number(sampleOf('container_memory_working_set_bytes')?.value.value) > 0, JSON.stringify(mainMetrics));
    assert.equal(sampleOf('container_memory_working_set_bytes')?.label_values, ['main', cid, DEFAULT_IMAGE, cid, 'default', `web-${stage1}`]);
    assert.is(sampleOf('container_cpu_usage_seconds_total')?.metric_type, 'COUNTER');
    assert.ok((podMetrics?.metrics as Obj[]).some((m) => m.name === 'container_network_receive_bytes_total' && m.label_values[6] === 'eth0'), JSON.stringify(podMetrics?.metrics));
    // As critest checks them: every metric described, with a value in the pod's or a container's series, as many labels as described.
    const described = new Map(descriptors.map((d) => [d.name as string, d.label_keys as string[]]));
    assert.equal([...CADVISOR_METRICS, ...BLOCK_IO_METRICS].filter((name) => !described.has(name)), [], 'described');
    const found = new Map<string, string[]>();
    for (const m of [...(podMetrics?.metrics as Obj[]), ...(podMetrics?.container_metrics as Obj[]).flatMap((c) => c.metrics as Obj[])]) if (!found.has(m.name)) found.set(m.name, m.label_values);
    assert.equal((stage1 === 'kvm' ? KVM_METRICS : CADVISOR_METRICS).filter((name) => !found.has(name)), [], 'measured');
    assert.equal([...found].filter(([name, values]) => values.length !== described.get(name)?.length).map(([name]) => name), [], 'labels as described');
    assert.ok(Number(sampleOf('container_processes')?.value.value) >= 1, 'sleep');
    assert.ok(Number(sampleOf('container_fs_inodes_total')?.value.value) > Number(sampleOf('container_fs_inodes_free')?.value.value));
    assert.ok(Math.abs(Number(sampleOf('container_start_time_seconds')?.value.value) - Date.now() / 1000) < 600);
    // The streaming lists (the kubelet's, feature-gated): what List* gives, one item per message.
    const streamed = await cri.runtimeStream<Obj>('StreamContainers', { filter: { pod_sandbox_id: id } });
    assert.equal(streamed.map((m) => (m.containers as Obj[]).map((c) => c.id)), [[cid]]);
    assert.ok((await cri.runtimeStream<Obj>('StreamPodSandboxes', {})).some((m) => (m.pod_sandboxes as Obj[])[0]?.id === id));
    assert.ok((await cri.runtimeStream<Obj>('StreamPodSandboxMetrics', {})).some((m) => (m.pod_sandbox_metrics as Obj[])[0]?.pod_sandbox_id === id));
    assert.equal((await cri.runtimeStream<Obj>('StreamContainerStats', { filter: { id: cid } })).map((m) => (m.container_stats as Obj[])[0]?.attributes.id), [cid]);
    assert.ok((await cri.imageStream<Obj>('StreamImages', {})).some((m) => ((m.images as Obj[])[0]?.repo_tags as string[]).includes(DEFAULT_IMAGE)));

    await cri.runtime('UpdateContainerResources', { container_id: cid, linux: { memory_limit_in_bytes: 64 * 2 ** 20, cpu_quota: 50_000, cpu_period: 100_000 } });
    if (stage1 === 'kvm') {
      // The app's cgroup is in the guest (v2), out of the app's sight: the agent wrote it (app-update),
      // and a command in the app (which joins its cgroup) meets the limit.
      const small = await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=16M', 'count=1'], timeout: 60 });
      assert.is(small.exit_code, 0, String(small.stderr));
      const big = await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], timeout: 60 });
      assert.is(big.exit_code, 137, `killed by the guest's OOM killer: ${String(big.stderr)}`);
    } else {
      const cgroup = (controller: string, file: string) => readFileSync(join('/sys/fs/cgroup', controller, 'podstage', id, 'apps', 'main', file), 'utf8').trim();
      assert.is(cgroup('memory', 'memory.limit_in_bytes'), String(64 * 2 ** 20));
      assert.is(cgroup('cpu', 'cpu.cfs_quota_us'), '50000');
    }
    const manifest = JSON.parse(String((await sb.run(['cat-manifest', id])).stdout)) as Obj;
    const isolators = manifest.apps[0].app.isolators as Obj[];
    assert.equal(isolators.find((i) => i.name === 'resource/memory')?.value, { request: String(64 * 2 ** 20), limit: String(64 * 2 ** 20) }, 'kept for the next start');

    // A second container, named as critest names them, brings host paths the running sandbox has not seen: a directory, a read-only file, a symlink.
    const host = join(sb.dir, `mounts-${stage1}`);
    mkdirSync(join(host, 'dir'), { recursive: true });
    writeFileSync(join(host, 'dir', 'in-dir'), 'from the host dir\n');
    writeFileSync(join(host, 'file'), 'from the host file\n');
    writeFileSync(join(host, 'secret'), 'never seen\n');
    symlinkSync(join(host, 'dir'), join(host, 'link'));
    const mounts = [
      { container_path: '/mnt/dir', host_path: join(host, 'dir'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      { container_path: '/etc/from-host', host_path: join(host, 'file'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
      { container_path: '/mnt/link', host_path: join(host, 'link'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      { container_path: '/etc/secret', host_path: join(host, 'secret'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
    ];
    const metadata = { name: 'container-for-Mounts-test-2f0c3a7e-5a0b-4c1e-9d55-1b0e6f7a9c21', attempt: 2 };
    const { container_id: withMounts } = await cri.runtime<Obj>('CreateContainer', {
      pod_sandbox_id: id, sandbox_config: config, config: {
        metadata, image: { image: DEFAULT_IMAGE }, command: ['sleep', '1000'], log_path: 'mounts.log', mounts,
        // The kubelet's masked and read-only paths replace the defaults (critest's MaskedPaths and ReadonlyPaths), over what is mounted there.
        linux: { security_context: { masked_paths: ['/etc/secret'], readonly_paths: ['/tmp'] } },
      },
    });
    await cri.runtime('StartContainer', { container_id: withMounts });
    const seen = await cri.runtime<Obj>('ExecSync', {
      container_id: withMounts, cmd: ['sh', '-c', 'cat /mnt/dir/in-dir /etc/from-host /mnt/link/in-dir && echo written > /mnt/dir/from-pod && ! echo x 2>/dev/null > /etc/from-host'], timeout: 60,
    });
    assert.is(seen.exit_code, 0, String(seen.stderr));
    assert.is(String(seen.stdout), 'from the host dir\nfrom the host file\nfrom the host dir\n');
    assert.is(readFileSync(join(host, 'dir', 'from-pod'), 'utf8'), 'written\n');
    const masked = await cri.runtime<Obj>('ExecSync', { container_id: withMounts, cmd: ['sh', '-c', 'wc -c < /etc/secret; cat /proc/timer_list | wc -c'], timeout: 30 });
    assert.equal(String(masked.stdout).split('\n').map((l) => l.trim()).slice(0, 1), ['0'], String(masked.stderr));
    assert.is.not(String(masked.stdout).split('\n')[1]?.trim(), '0', "runc's own list no longer applies: /proc/timer_list is readable");
    const readOnly = await cri.runtime<Obj>('ExecSync', { container_id: withMounts, cmd: ['touch', '/tmp/test'], timeout: 30 });
    assert.equal([readOnly.exit_code, String(readOnly.stderr)], [1, 'touch: /tmp/test: Read-only file system\n']);
    const status = await containerState(cri, withMounts);
    assert.equal([status.state, status.metadata], ['CONTAINER_RUNNING', metadata]);
    assert.equal((status.mounts as Obj[]).map((m) => [m.container_path, m.host_path, m.readonly, m.propagation]), mounts.map((m) => [m.container_path, m.host_path, m.readonly, m.propagation]));
    await cri.runtime('StopContainer', { container_id: withMounts, timeout: 0 });
    const killed = await containerState(cri, withMounts);
    assert.equal([killed.exit_code, killed.reason], [137, 'Error'], 'a SIGKILL that is no OOM kill');
    await cri.runtime('RemoveContainer', { container_id: withMounts });

    {
      // Past its memory limit: the kubelet's OOMKilled (under kvm the guest kernel kills it and the agent reports it).
      const { container_id: hungry } = await cri.runtime<Obj>('CreateContainer', {
        pod_sandbox_id: id, sandbox_config: config, config: {
          metadata: { name: 'hungry', attempt: 0 }, image: { image: DEFAULT_IMAGE }, command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], log_path: 'hungry.log',
          linux: { resources: { memory_limit_in_bytes: 30 * 2 ** 20 } },
        },
      });
      await cri.runtime('StartContainer', { container_id: hungry });
      const ended = await waitFor('the OOM kill', async () => {
        const s = await containerState(cri, hungry);
        return s.state === 'CONTAINER_EXITED' ? s : undefined;
      }, 30_000);
      assert.equal([ended.exit_code, ended.reason], [137, 'OOMKilled']);
      await cri.runtime('RemoveContainer', { container_id: hungry });
    }

    const listed = (await cri.runtime<Obj>('ListContainers', { filter: { pod_sandbox_id: id, label_selector: { tier: 'front' } } })).containers as Obj[];
    assert.equal(listed.map((c) => c.id), [cid]);
    await cri.runtime('StopContainer', { container_id: cid, timeout: 0 });
    const stopped = await containerState(cri, cid);
    assert.is(stopped.state, 'CONTAINER_EXITED');
    // Under kvm an exec'd command was OOM-killed in its cgroup above: OOMKilled from then on, as containerd's TaskOOM event and CRI-O's conmon report it.
    assert.equal([stopped.exit_code, stopped.reason], [137, stage1 === 'kvm' ? 'OOMKilled' : 'Error']);
    await cri.runtime('RemoveContainer', { container_id: cid });
    assert.equal((await cri.runtime<Obj>('ListContainers', { filter: { pod_sandbox_id: id } })).containers, []);
    assert.not.ok(existsSync(log), 'the log link went with the container');

    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
    assert.is((await cri.runtime<Obj>('PodSandboxStatus', { pod_sandbox_id: id })).status.state, 'SANDBOX_NOTREADY');
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
    assert.not.ok(((await cri.runtime<Obj>('ListPodSandbox', {})).items as Obj[]).some((s) => s.id === id));
    assert.not.ok((await listPods(sb)).some((p) => p.uuid === id), 'removed for podstage list too');
    // Stop and remove of a sandbox that is gone succeed, as the CRI asks.
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  });
}

t('the stage1 annotation wins over the handler; no handler is runc (ordinary workloads); crun is stage1 runc running crun; an unknown handler is refused and writes no pod', async ({ sb, cri }) => {
  const config = sandboxConfig('chosen', join(sb.dir, 'logs', 'chosen'), { annotations: { 'podstage.io/stage1': 'host' } });
  const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  assert.is((await cri.runtime<Obj>('PodSandboxStatus', { pod_sandbox_id: id })).info.stage1, 'host');
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  const { pod_sandbox_id: plain } = await cri.runtime<Obj>('RunPodSandbox', { config: sandboxConfig('plain', join(sb.dir, 'logs', 'plain')), runtime_handler: '' });
  assert.is((await cri.runtime<Obj>('PodSandboxStatus', { pod_sandbox_id: plain })).info.stage1, 'runc');
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: plain });
  const crunConfig = sandboxConfig('crun', join(sb.dir, 'logs', 'crun'));
  const { pod_sandbox_id: crunPod } = await cri.runtime<Obj>('RunPodSandbox', { config: crunConfig, runtime_handler: 'crun' });
  const crunInfo = (await cri.runtime<Obj>('PodSandboxStatus', { pod_sandbox_id: crunPod })).info;
  assert.equal([crunInfo.stage1, crunInfo.ociRuntime], ['runc', 'crun']);
  const { container_id: crunContainer } = await cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: crunPod, sandbox_config: crunConfig, config: containerConfig() });
  await cri.runtime('StartContainer', { container_id: crunContainer });
  assert.is((await cri.runtime<Obj>('ExecSync', { container_id: crunContainer, cmd: ['echo', 'under crun'], timeout: 30 })).stdout.toString(), 'under crun\n');
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: crunPod });
  const before = (await listPods(sb)).length;
  const err = await rejection(cri.runtime('RunPodSandbox', { config: sandboxConfig('nohandler', ''), runtime_handler: 'gvisor' }));
  assert.is(err.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(err.details, 'runtime_handler: no handler "gvisor"');
  assert.is((await listPods(sb)).length, before);
});

t("a sandbox's metadata is its name until it is removed: refused while it runs, once stopped and for five requests at once; free again after removal", async ({ sb, cri }) => {
  const config = sandboxConfig('unique', join(sb.dir, 'logs', 'unique'), { linux: { security_context: { namespace_options: { network: 'NODE' } } } });
  const run = () => cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  const ofName = async () => ((await cri.runtime<Obj>('ListPodSandbox', { filter: { label_selector: { app: 'unique' } } })).items as Obj[]).map((i) => i.id as string);
  const { pod_sandbox_id: id } = await run();
  for (const when of ['running', 'stopped']) {
    const err = await rejection(run());
    assert.is(err.code, grpcStatus.ALREADY_EXISTS, `${when}: ${err.details}`);
    assert.match(err.details, `pod sandbox name "unique_default_uid-unique_0" is reserved for ${id}`);
    assert.equal(await ofName(), [id], when);
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
  }
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  const results = await Promise.allSettled([run(), run(), run(), run(), run()]);
  const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.pod_sandbox_id as string] : []));
  assert.is(made.length, 1, 'one of five concurrent requests makes the sandbox');
  for (const r of results) if (r.status === 'rejected') assert.is((r.reason as { code: number }).code, grpcStatus.ALREADY_EXISTS);
  assert.equal(await ofName(), made);
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: made[0] });
  const again = await run();
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: again.pod_sandbox_id });
});

for (const stage1 of ['runc', 'host']) {
  t(`${stage1}: StopContainer's timeout is the grace period: a container that ends 11 s after SIGTERM does so under 20 s, one that ignores it is killed after 1 s`, async ({ sb, cri }) => {
    const config = sandboxConfig(`grace-${stage1}`, join(sb.dir, 'logs', `grace-${stage1}`), { linux: { security_context: { namespace_options: { network: 'NODE' } } } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
    const start = async (name: string, script: string) => {
      const c = containerConfig({ metadata: { name, attempt: 0 }, command: ['sh', '-c', `${script}; echo ready; while :; do sleep 1; done`], log_path: `${name}.log` });
      const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: id, config: c, sandbox_config: config });
      await cri.runtime('StartContainer', { container_id: cid });
      await waitFor(`${name} set its trap`, () => (readFileSync(join(sb.dir, 'logs', `grace-${stage1}`, `${name}.log`), 'utf8').includes('ready') ? true : undefined), 30_000);
      return cid as string;
    };
    const slow = await start('slow', 'trap "sleep 11; exit 0" TERM');
    const deaf = await start('deaf', 'trap "" TERM');
    const stop = async (cid: string, timeout: number) => {
      const t0 = Date.now();
      await cri.runtime('StopContainer', { container_id: cid, timeout });
      return { ms: Date.now() - t0, state: await containerState(cri, cid) };
    };
    const [slowStop, deafStop] = await Promise.all([stop(slow, 20), stop(deaf, 1)]);
    assert.equal([slowStop.state.state, slowStop.state.exit_code], ['CONTAINER_EXITED', 0], 'ended by itself, past the 10 s default');
    assert.ok(slowStop.ms >= 10_000, `${slowStop.ms} ms`);
    assert.equal([deafStop.state.state, deafStop.state.exit_code], ['CONTAINER_EXITED', 137], 'SIGKILL');
    assert.ok(deafStop.ms < 6_000, `killed after ${deafStop.ms} ms`);
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  });
}

for (const stage1 of ['runc', 'host']) {
  t(`${stage1}: the kubelet's cgroup_parent is where the pod's cgroups go: the container's limit below it, stats read there, the parent kept at removal; a systemd slice is refused`, async ({ sb, cri }) => {
    const parent = `podstage-cri-test-${process.pid}-${stage1}`;
    const cgroupParent = `/${parent}/pod-uid-${stage1}`;
    const config = sandboxConfig(`parent-${stage1}`, join(sb.dir, 'logs', `parent-${stage1}`), { linux: { cgroup_parent: cgroupParent } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
    const podCgroup = join('/sys/fs/cgroup/memory', cgroupParent, `podstage-${id}`);
    try {
      const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', {
        pod_sandbox_id: id, sandbox_config: config, config: containerConfig({ linux: { resources: { memory_limit_in_bytes: 64 * 2 ** 20 } } }),
      });
      await cri.runtime('StartContainer', { container_id: cid });
      const app = await waitFor("the container's process in its cgroup below the pod's", () => {
        const apps = existsSync(join(podCgroup, 'apps')) ? readdirSync(join(podCgroup, 'apps'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
        return apps.length === 1 && readFileSync(join(podCgroup, 'apps', apps[0]!, 'cgroup.procs'), 'utf8').trim() !== '' ? join(podCgroup, 'apps', apps[0]!) : undefined;
      }, 30_000);
      assert.is(readFileSync(join(app, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 2 ** 20), "the container's limit, below the parent");
      assert.not.ok(existsSync(join('/sys/fs/cgroup/memory/podstage', id)), 'nothing under podstage/');
      const cs = (await cri.runtime<Obj>('ContainerStats', { container_id: cid })).stats;
      assert.ok(Number(cs.memory.working_set_bytes.value) > 0, JSON.stringify(cs.memory));
      const ps = (await cri.runtime<Obj>('PodSandboxStats', { pod_sandbox_id: id })).stats;
      assert.ok(Number(ps.linux.process.process_count.value) >= 1, JSON.stringify(ps.linux.process));
      await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
      await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
      assert.not.ok(existsSync(podCgroup), "the pod's cgroup is removed");
      assert.ok(existsSync(join('/sys/fs/cgroup/memory', cgroupParent)), "the kubelet's cgroup stays");
    } finally {
      await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id }).catch(() => undefined);
      // What the kubelet does with its pod cgroup once the pod is gone.
      removeCgroupTrees(parent);
    }
    const slice = await rejection(cri.runtime('RunPodSandbox', { config: sandboxConfig('slice', join(sb.dir, 'logs', 'slice'), { linux: { cgroup_parent: 'kubepods-besteffort-pod1.slice' } }), runtime_handler: stage1 }));
    assert.is(slice.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(slice.details, 'config.linux.cgroup_parent: "kubepods-besteffort-pod1.slice" is a systemd slice');
  });
}

t('errors a kubelet meets: a missing image, a group without a user, a privileged container in an unprivileged sandbox, an unknown sandbox, an RPC podstage does not serve; the cgroup driver it reports', async ({ sb, cri }) => {
  const config = sandboxConfig('errors', join(sb.dir, 'logs', 'errors'), { linux: { security_context: { namespace_options: { network: 'NODE' } } } });
  const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  const cases: [Obj, number, string][] = [
    [containerConfig({ image: { image: 'example.test/nothing:1' } }), grpcStatus.NOT_FOUND, 'example.test/nothing:1'],
    [containerConfig({ linux: { security_context: { run_as_group: { value: 10 } } } }), grpcStatus.INVALID_ARGUMENT, 'run_as_group: needs run_as_user'],
    [containerConfig({ linux: { security_context: { privileged: true } } }), grpcStatus.PERMISSION_DENIED, 'a privileged container needs a privileged sandbox'],
    [containerConfig({ linux: { security_context: { capabilities: { add_capabilities: ['NOT_A_CAP'] } } } }), grpcStatus.INVALID_ARGUMENT, 'unknown capability "NOT_A_CAP"'],
  ];
  for (const [c, code, message] of cases) {
    const err = await rejection(cri.runtime('CreateContainer', { pod_sandbox_id: id, config: c, sandbox_config: config }));
    assert.is(err.code, code, `${message}: ${err.details}`);
    assert.match(err.details, message);
  }
  assert.equal((await cri.runtime<Obj>('ListContainers', { filter: { pod_sandbox_id: id } })).containers, [], 'no container was added');
  const unknown = await rejection(cri.runtime('PodSandboxStatus', { pod_sandbox_id: 'no-such-sandbox' }));
  assert.is(unknown.code, grpcStatus.NOT_FOUND);
  const checkpoint = await rejection(cri.runtime('CheckpointContainer', { container_id: 'x' }));
  assert.match(checkpoint.details, 'RuntimeService.CheckpointContainer is not implemented by podstage');
  assert.is(checkpoint.code, grpcStatus.UNIMPLEMENTED);
  assert.equal((await cri.runtime<Obj>('RuntimeConfig', {})).linux, { cgroup_driver: 'CGROUPFS' }, 'the cgroup driver the kubelet should match');
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
});

t('seccomp: Unconfined lifts the default profile for that container only; a Localhost profile (both forms) is the container\'s filter, no more and no less; a custom profile path is refused', async ({ sb, cri }) => {
  const config = sandboxConfig('seccomp', join(sb.dir, 'logs', 'seccomp'));
  const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  const withProfile = async (name: string, seccomp: Obj | null, path = '') => (await cri.runtime<Obj>('CreateContainer', {
    pod_sandbox_id: id, sandbox_config: config,
    config: containerConfig({ metadata: { name, attempt: 0 }, log_path: `${name}.log`, linux: { security_context: { seccomp, seccomp_profile_path: path } } }),
  })).container_id as string;
  const unconfined = await withProfile('unconfined', { profile_type: 'Unconfined' });
  const confined = await withProfile('confined', { profile_type: 'RuntimeDefault' });
  for (const cid of [unconfined, confined]) await cri.runtime('StartContainer', { container_id: cid });
  // unshare(2) is outside the default profile; an unprivileged user namespace needs no capability.
  const tryUnshare = (cid: string) => cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['unshare', '-U', 'true'], timeout: 30 });
  assert.is((await tryUnshare(unconfined)).exit_code, 0, String((await tryUnshare(unconfined)).stderr));
  // Unconfined is no filter at all (critest reads Seccomp: 0), not one that allows everything.
  const mode = await cri.runtime<Obj>('ExecSync', { container_id: unconfined, cmd: ['grep', '^Seccomp:', '/proc/self/status'], timeout: 30 });
  assert.match(String(mode.stdout), /^Seccomp:\s+0$/m);
  const denied = await tryUnshare(confined);
  assert.is.not(denied.exit_code, 0);
  assert.match(String(denied.stderr), 'Operation not permitted');
  // A Localhost profile in the JSON the kubelet's /var/lib/kubelet/seccomp files use: mkdir(2) denied with EACCES.
  const profile = join(sb.dir, 'deny-mkdir.json');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
  const localhost = await withProfile('localhost', { profile_type: 'Localhost', localhost_ref: profile });
  const deprecated = await withProfile('deprecated', null, `localhost/${profile}`);
  for (const cid of [localhost, deprecated]) {
    await cri.runtime('StartContainer', { container_id: cid });
    const r = await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['mkdir', '/tmp/denied'], timeout: 30 });
    assert.is.not(r.exit_code, 0);
    assert.match(String(r.stderr), 'Permission denied');
    // What the profile does not deny is allowed, also what podstage's default profile denies.
    assert.is((await tryUnshare(cid)).exit_code, 0, String((await tryUnshare(cid)).stderr));
  }
  assert.is((await cri.runtime<Obj>('ExecSync', { container_id: confined, cmd: ['mkdir', '/tmp/allowed'], timeout: 30 })).exit_code, 0, 'the default profile allows mkdir');
  const missing = await rejection(withProfile('missing', { profile_type: 'Localhost', localhost_ref: join(sb.dir, 'nothing.json') }));
  assert.is(missing.code, grpcStatus.NOT_FOUND);
  assert.match(missing.details, 'config.linux.security_context.seccomp.localhost_ref: cannot read the seccomp profile');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] }));
  const conditional = await rejection(withProfile('conditional', { profile_type: 'Localhost', localhost_ref: profile }));
  assert.is(conditional.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(conditional.details, 'argument conditions are not supported');
  const custom = await rejection(withProfile('custom', null, '/etc/my-profile.json'));
  assert.is(custom.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(custom.details, 'seccomp_profile_path: expected runtime/default, docker/default, unconfined or localhost/<path>');
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
});

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1}: a privileged container (in a privileged sandbox) holds every capability the host has and no seccomp filter; its neighbour keeps the defaults`, async ({ sb, cri }) => {
    const config = sandboxConfig(`privileged-${stage1}`, join(sb.dir, 'logs', `privileged-${stage1}`), { linux: { security_context: { privileged: true } } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
    const start = async (name: string, securityContext: Obj) => {
      const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', {
        pod_sandbox_id: id, sandbox_config: config, config: containerConfig({ metadata: { name, attempt: 0 }, log_path: `${name}.log`, linux: { security_context: securityContext } }),
      });
      await cri.runtime('StartContainer', { container_id: cid });
      return cid as string;
    };
    const probe = async (cid: string) => (await cri.runtime<Obj>('ExecSync', {
      container_id: cid, cmd: ['sh', '-c', 'grep -e ^Cap -e ^Seccomp: /proc/self/status; mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && echo mounted'], timeout: 60,
    }));
    const held = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    const privileged = await probe(await start('privileged', { privileged: true }));
    assert.equal(capSets(privileged.stdout), { CapInh: NONE, CapPrm: held, CapEff: held, CapBnd: held, CapAmb: NONE }, String(privileged.stderr));
    assert.match(String(privileged.stdout), /^mounted$/m, 'mount(2): every capability and no filter');
    assert.match(String(privileged.stdout), /^Seccomp:\s+0$/m, 'no filter at all, as runc leaves a privileged container');
    const plain = await probe(await start('plain', {}));
    assert.equal(capSets(plain.stdout), { CapInh: NONE, CapPrm: DEFAULT_CAPS, CapEff: DEFAULT_CAPS, CapBnd: DEFAULT_CAPS, CapAmb: NONE });
    assert.not.match(String(plain.stdout), /mounted/);
    assert.match(String(plain.stdout), /^Seccomp:\s+2$/m);
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  });
}

t('namespaces: hostPID and hostIPC under runc (refused by host and kvm), one pid namespace for the pod (POD) or one per container (CONTAINER, where the container is pid 1) under runc and host', async ({ sb, cri }) => {
  const nsOf = async (cid: string, ns: string) => String((await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['readlink', `/proc/self/ns/${ns}`], timeout: 30 })).stdout).trim();
  const pod = async (name: string, pid: string, ipc: string, handler = 'runc') => {
    const config = sandboxConfig(name, join(sb.dir, 'logs', name), { linux: { security_context: { namespace_options: { network: 'POD', pid, ipc } } } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: handler });
    const start = async (c: string) => {
      const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: id, sandbox_config: config, config: containerConfig({ metadata: { name: c, attempt: 0 }, log_path: `${c}.log` }) });
      await cri.runtime('StartContainer', { container_id: cid });
      return cid as string;
    };
    return { id, a: await start('a'), b: await start('b') };
  };
  const hostNs = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);

  const host = await pod('host-ns', 'NODE', 'NODE');
  assert.is(await nsOf(host.a, 'pid'), hostNs('pid'));
  assert.is(await nsOf(host.a, 'ipc'), hostNs('ipc'));
  assert.is.not(await nsOf(host.a, 'uts'), hostNs('uts'), 'only what was asked for is the host\'s');
  const shared = await pod('pod-pid', 'POD', 'POD');
  assert.is(await nsOf(shared.a, 'pid'), await nsOf(shared.b, 'pid'));
  assert.is.not(await nsOf(shared.a, 'pid'), hostNs('pid'));
  assert.is.not(await nsOf(shared.a, 'ipc'), hostNs('ipc'));
  const own = await pod('container-pid', 'CONTAINER', 'POD');
  assert.is.not(await nsOf(own.a, 'pid'), await nsOf(own.b, 'pid'));
  assert.is(await nsOf(own.a, 'ipc'), await nsOf(own.b, 'ipc'), 'IPC is the pod\'s');
  for (const p of [host, shared, own]) await cri.runtime('RemovePodSandbox', { pod_sandbox_id: p.id });

  // stage1 host: each container a pid namespace of its own below the pod's, or the pod's; critest's ContainerPID reads /proc/1.
  const firstProcess = async (cid: string) => String((await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['cat', '/proc/1/cmdline'], timeout: 30 })).stdout).replaceAll('\0', ' ').trim();
  const ownHost = await pod('container-pid-host', 'CONTAINER', 'POD', 'host');
  assert.is.not(await nsOf(ownHost.a, 'pid'), await nsOf(ownHost.b, 'pid'));
  assert.is(await firstProcess(ownHost.a), 'sleep 1000', 'the container is pid 1 of its namespace (its shell exec\'d sleep)');
  assert.is(await nsOf(ownHost.a, 'ipc'), await nsOf(ownHost.b, 'ipc'));
  const sharedHost = await pod('pod-pid-host', 'POD', 'POD', 'host');
  assert.is(await nsOf(sharedHost.a, 'pid'), await nsOf(sharedHost.b, 'pid'));
  assert.is.not(await firstProcess(sharedHost.a), 'sleep 1000', "pid 1 is the pod's init");
  for (const p of [ownHost, sharedHost]) await cri.runtime('RemovePodSandbox', { pod_sandbox_id: p.id });

  for (const handler of ['host', 'kvm']) {
    const config = sandboxConfig(`host-pid-${handler}`, join(sb.dir, 'logs', `host-pid-${handler}`), { linux: { security_context: { namespace_options: { pid: 'NODE' } } } });
    const err = await rejection(cri.runtime('RunPodSandbox', { config, runtime_handler: handler }));
    assert.match(err.details, 'annotation podstage.io/host-namespaces:', `${handler}: ${err.details}`);
    assert.equal((await cri.runtime<Obj>('ListPodSandbox', { filter: { label_selector: { app: `host-pid-${handler}` } } })).items, [], 'no pod was written');
  }
});

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1}: sysctls are set in the pod's own namespaces before its containers start; one that would reach the host is refused`, async ({ sb, cri }) => {
    const sysctls = { 'net.ipv4.ip_local_port_range': '33000 44000', 'kernel.shm_rmid_forced': '1' };
    const config = sandboxConfig(`sysctls-${stage1}`, join(sb.dir, 'logs', `sysctls-${stage1}`), { linux: { sysctls } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
    const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: id, sandbox_config: config, config: containerConfig() });
    await cri.runtime('StartContainer', { container_id: cid });
    const r = await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['cat', '/proc/sys/net/ipv4/ip_local_port_range', '/proc/sys/kernel/shm_rmid_forced'], timeout: 30 });
    assert.equal(String(r.stdout).split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['33000 44000', '1', ''], String(r.stderr));
    assert.is.not(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).join(' '), '33000 44000', 'the host\'s own is untouched');
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });

    const reaching = stage1 === 'kvm'
      ? sandboxConfig(`sysctls-bad-${stage1}`, join(sb.dir, 'logs', 'bad'), { linux: { sysctls: { 'vm.swappiness': '1' } } })
      : sandboxConfig(`sysctls-bad-${stage1}`, join(sb.dir, 'logs', 'bad'), { linux: { sysctls: { 'net.core.somaxconn': '77' }, security_context: { namespace_options: { network: 'NODE' } } } });
    const err = await rejection(cri.runtime('RunPodSandbox', { config: reaching, runtime_handler: stage1 }));
    assert.match(err.details, stage1 === 'kvm' ? 'vm.swappiness is not a namespaced sysctl' : 'net.core.somaxconn would change the host', err.details);
  });
}

t('mount propagation (runc): HostToContainer brings the host\'s later mounts in, Bidirectional takes the container\'s out; a private host path and stage1 host refuse them', async ({ sb, cri }) => {
  const shared = join(sb.dir, 'shared');
  const isolatedDir = join(sb.dir, 'private');
  mkdirSync(shared);
  mkdirSync(isolatedDir);
  const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  sh(`mount --bind ${shared} ${shared} && mount --make-shared ${shared} && mount --bind ${isolatedDir} ${isolatedDir} && mount --make-private ${isolatedDir}`);
  try {
    const config = sandboxConfig('propagation', join(sb.dir, 'logs', 'propagation'), { linux: { security_context: { privileged: true } } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
    const start = async (name: string, propagation: string, extra: Obj = {}) => {
      const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', {
        pod_sandbox_id: id, sandbox_config: config,
        config: containerConfig({ metadata: { name, attempt: 0 }, log_path: `${name}.log`, mounts: [{ container_path: '/mnt/shared', host_path: shared, propagation }], ...extra }),
      });
      await cri.runtime('StartContainer', { container_id: cid });
      return cid as string;
    };
    const slave = await start('slave', 'PROPAGATION_HOST_TO_CONTAINER');
    const bidirectional = await start('bidirectional', 'PROPAGATION_BIDIRECTIONAL', { linux: { security_context: { privileged: true } } });
    const isolated = await start('isolated', 'PROPAGATION_PRIVATE');
    mkdirSync(join(shared, 'from-host'));
    sh(`mount -t tmpfs from-host ${join(shared, 'from-host')} && echo host-side > ${join(shared, 'from-host', 'file')}`);
    const read = async (cid: string, path: string) => (await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['cat', path], timeout: 30 })).stdout as Buffer;
    assert.is(String(await read(slave, '/mnt/shared/from-host/file')), 'host-side\n', 'rslave: the host\'s mount reached the container');
    assert.is(String(await read(isolated, '/mnt/shared/from-host/file')), '', 'private: it did not');
    const made = await cri.runtime<Obj>('ExecSync', { container_id: bidirectional, cmd: ['sh', '-c', 'mkdir -p /mnt/shared/from-container && mount -t tmpfs from-container /mnt/shared/from-container && echo container-side > /mnt/shared/from-container/file'], timeout: 30 });
    assert.is(made.exit_code, 0, String(made.stderr));
    assert.is(readFileSync(join(shared, 'from-container', 'file'), 'utf8'), 'container-side\n', 'rshared: the container\'s mount reached the host');

    const refused = async (host_path: string, handler: string, message: string) => {
      const other = sandboxConfig(`propagation-${handler}`, join(sb.dir, 'logs', `propagation-${handler}`), { linux: { security_context: { privileged: true } } });
      const { pod_sandbox_id: pid } = handler === 'runc' ? { pod_sandbox_id: id } : await cri.runtime<Obj>('RunPodSandbox', { config: other, runtime_handler: handler });
      const err = await rejection(cri.runtime('CreateContainer', {
        pod_sandbox_id: pid, sandbox_config: other,
        config: containerConfig({ metadata: { name: 'refused', attempt: 0 }, log_path: 'refused.log', mounts: [{ container_path: '/mnt/x', host_path, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }] }),
      }));
      assert.match(err.details, message, err.details);
      assert.not.ok(((await cri.runtime<Obj>('ListContainers', { filter: { pod_sandbox_id: pid } })).containers as Obj[]).some((c) => c.metadata.name === 'refused'), 'no container was added');
      if (pid !== id) await cri.runtime('RemovePodSandbox', { pod_sandbox_id: pid });
    };
    await refused(isolatedDir, 'runc', `needs ${isolatedDir} on a shared or slave mount, it is on a private one`);
    await refused(shared, 'host', 'stage1 host: volume cri-refused-0: rslave propagation');
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  } finally {
    sh(`umount -R -l ${shared}; umount -l ${isolatedDir}; true`);
  }
});

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1}: a container in another's pid namespace (TARGET, kubectl debug --target)`, async ({ sb, cri }) => {
    const config = sandboxConfig(`target-${stage1}`, join(sb.dir, 'logs', `target-${stage1}`), { linux: { security_context: { namespace_options: { pid: 'CONTAINER' } } } });
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
    const start = async (name: string, securityContext: Obj = {}) => {
      const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', {
        pod_sandbox_id: id, sandbox_config: config, config: containerConfig({ metadata: { name, attempt: 0 }, log_path: `${name}.log`, linux: { security_context: securityContext } }),
      });
      await cri.runtime('StartContainer', { container_id: cid });
      return cid as string;
    };
    const pidNs = async (cid: string) => String((await cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['readlink', '/proc/self/ns/pid'], timeout: 30 })).stdout).trim();
    const main = await start('main');
    const debug = await start('debug', { namespace_options: { pid: 'TARGET', target_id: main } });
    assert.is(await pidNs(debug), await pidNs(main));
    const ps = await cri.runtime<Obj>('ExecSync', { container_id: debug, cmd: ['ps', '-o', 'args'], timeout: 30 });
    assert.match(String(ps.stdout), /^sleep 1000$/m, 'the target\'s processes are in sight');
    assert.is.not(await pidNs(await start('own')), await pidNs(main));
    const missing = await rejection(cri.runtime('CreateContainer', {
      pod_sandbox_id: id, sandbox_config: config, config: containerConfig({ metadata: { name: 'lost', attempt: 0 }, linux: { security_context: { namespace_options: { pid: 'TARGET', target_id: 'f00d' } } } }),
    }));
    assert.is(missing.code, grpcStatus.NOT_FOUND);
    assert.match(missing.details, 'namespace_options.target_id: no container "f00d"');
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  });
}

t('devices: runc makes the host\'s nodes and allows them with the permissions asked; host and kvm refuse them and keep no container', async ({ sb, cri }) => {
  const devices = [{ container_path: '/dev/net/tun', host_path: '/dev/net/tun', permissions: 'rwm' }, { container_path: '/dev/fuse', host_path: '/dev/fuse', permissions: 'r' }];
  const config = sandboxConfig('devices', join(sb.dir, 'logs', 'devices'));
  const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: id, sandbox_config: config, config: containerConfig({ devices }) });
  await cri.runtime('StartContainer', { container_id: cid });
  const open = async (path: string) => cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['sh', '-c', `ls -l ${path} && exec 3<>${path} && echo opened`], timeout: 30 });
  const tun = await open('/dev/net/tun');
  // The node is made with the host's mode (crw-rw-rw- on most hosts, crw------- on some), as containerd makes it.
  const hostMode = execFileSync('stat', ['-c', '%A', '/dev/net/tun'], { encoding: 'utf8' }).trim();
  assert.match(String(tun.stdout), new RegExp(`^${hostMode}\\s+1 root\\s+root\\s+10,\\s+200 .*/dev/net/tun\\nopened\\n$`), `${String(tun.stdout)}${String(tun.stderr)}`);
  const fuse = await open('/dev/fuse');
  assert.match(String(fuse.stdout), /10,\s+229/, 'the node is there');
  assert.not.match(String(fuse.stdout), /opened/, 'read and write: more than "r" allows');
  assert.match(String(fuse.stderr), 'Operation not permitted');
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });

  const hostConfig = sandboxConfig('devices-host', join(sb.dir, 'logs', 'devices-host'));
  const { pod_sandbox_id: hostPod } = await cri.runtime<Obj>('RunPodSandbox', { config: hostConfig, runtime_handler: 'host' });
  const refused = await rejection(cri.runtime('CreateContainer', { pod_sandbox_id: hostPod, sandbox_config: hostConfig, config: containerConfig({ devices }) }));
  assert.match(refused.details, 'stage1 host: app main: annotation podstage.io/devices:', refused.details);
  assert.equal((await cri.runtime<Obj>('ListContainers', { filter: { pod_sandbox_id: hostPod } })).containers, [], 'no container was kept');
  // The same name is free again.
  await cri.runtime('CreateContainer', { pod_sandbox_id: hostPod, sandbox_config: hostConfig, config: containerConfig() });
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: hostPod });
});

t('no pod depends on the server: restarted, it lists the running sandbox and container and execs into it; podstage list agrees', async (ctx) => {
  const config = sandboxConfig('survivor', join(ctx.sb.dir, 'logs', 'survivor'));
  const { pod_sandbox_id: id } = await ctx.cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: 'runc' });
  const { container_id: cid } = await ctx.cri.runtime<Obj>('CreateContainer', { pod_sandbox_id: id, config: containerConfig(), sandbox_config: config });
  await ctx.cri.runtime('StartContainer', { container_id: cid });
  await ctx.cri.stop();
  assert.ok((await listPods(ctx.sb)).some((p) => p.uuid === id && p.state === 'running'), 'the pod runs without the server');
  ctx.cri = await startCriServer(ctx.sb, ctx.config);
  const sandboxes = (await ctx.cri.runtime<Obj>('ListPodSandbox', { filter: { id } })).items as Obj[];
  assert.equal(sandboxes.map((s) => [s.state, s.metadata.name]), [['SANDBOX_READY', 'survivor']]);
  assert.is((await containerState(ctx.cri, cid)).state, 'CONTAINER_RUNNING');
  const exec = await ctx.cri.runtime<Obj>('ExecSync', { container_id: cid, cmd: ['hostname'], timeout: 30 });
  assert.is(String(exec.stdout).trim(), 'survivor');
  // StopPodSandbox kills what still runs at once (the kubelet's StopContainer gave the grace period):
  // sleep, pid 1 of its container, would ignore a SIGTERM for the whole 10 s.
  const stopping = Date.now();
  await ctx.cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
  assert.ok(Date.now() - stopping < 8000, `StopPodSandbox took ${Date.now() - stopping} ms`);
  assert.is((await containerState(ctx.cri, cid)).exit_code, 137);
  await ctx.cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
});

t("crictl 1.26's clients send the socket's path as :authority: the server answers them", async ({ sb, config }) => {
  const other = await startCriServer(sb, config, { channel: { 'grpc.default_authority': join(sb.dir, 'cri.sock') } });
  try {
    assert.is((await other.runtime<Obj>('Version', { version: 'v1' })).runtime_name, 'podstage');
    assert.is((await other.image<Obj>('ListImages', {})).images.length >= 1, true);
  } finally {
    await other.stop();
  }
});

t('images: list, status (empty when missing), pull from a registry under the trust policy, repo digests (an index\'s), the image\'s user, remove (also five at once)', async (ctx) => {
  const images = (await ctx.cri.image<Obj>('ListImages', {})).images as Obj[];
  assert.ok(images.some((i) => (i.repo_tags as string[]).includes(DEFAULT_IMAGE)), JSON.stringify(images));
  assert.is((await ctx.cri.image<Obj>('ImageStatus', { image: { image: 'example.test/nothing:1' } })).image, null);
  const registry = await startRegistry();
  try {
    const layoutDir = join(ctx.sb.dir, 'pulled-layout');
    const layout = writeImageLayout(layoutDir, [randomLayer(4096)]);
    await registry.pushLayout(layoutDir, 'cri/pulled:v1');
    const ref = `${registry.host}/cri/pulled:v1`;
    const unsigned = await rejection(ctx.cri.image('PullImage', { image: { image: ref } }));
    assert.is(unsigned.code, grpcStatus.PERMISSION_DENIED, unsigned.details);
    // The trust policy is the node's: a server told to take unsigned images pulls it.
    await ctx.cri.stop();
    ctx.cri = await startCriServer(ctx.sb, ctx.config, { global: ['--insecure-options=image'] });
    const pulled = await ctx.cri.image<Obj>('PullImage', { image: { image: ref } });
    assert.is(pulled.image_ref, layout.manifest.digest);
    const status = (await ctx.cri.image<Obj>('ImageStatus', { image: { image: ref } })).image;
    assert.equal([status.id, status.repo_tags, status.repo_digests, status.uid, status.username], [layout.manifest.digest, [ref], [`${registry.host}/cri/pulled@${layout.manifest.digest}`], null, '']);
    // A tag of an image index: the repo digest is the index's (what the registry serves), the id this platform's manifest.
    const multi = writeMultiPlatformLayout(join(ctx.sb.dir, 'multi-layout'));
    await registry.pushLayout(join(ctx.sb.dir, 'multi-layout'), 'cri/multi:v1', { all: true });
    assert.is((await ctx.cri.image<Obj>('PullImage', { image: { image: `${registry.host}/cri/multi:v1` } })).image_ref, multi.amd64.manifest.digest);
    const byIndex = (await ctx.cri.image<Obj>('ImageStatus', { image: { image: `${registry.host}/cri/multi@${multi.index.digest}` } })).image;
    assert.equal([byIndex?.id, byIndex?.repo_digests], [multi.amd64.manifest.digest, [`${registry.host}/cri/multi@${multi.index.digest}`]]);
    // The image's USER: a number is the uid, a name the username (critest's four user images).
    for (const [user, uid, username] of [['1002', { value: '1002' }, ''], ['1003:users', { value: '1003' }, ''], ['www-data', null, 'www-data'], ['www-data:100', null, 'www-data']] as const) {
      const dir = join(ctx.sb.dir, `user-${uid?.value ?? username}-${user.length}`);
      writeImageLayout(dir, [randomLayer(512)], { user });
      const tag = `cri/user:${user.replace(/[^a-z0-9]/g, '-')}`;
      await registry.pushLayout(dir, tag);
      await ctx.cri.image('PullImage', { image: { image: `${registry.host}/${tag}` } });
      const image = (await ctx.cri.image<Obj>('ImageStatus', { image: { image: `${registry.host}/${tag}` } })).image;
      assert.equal([image.uid, image.username], [uid, username], user);
    }
    // A pull whose client gave up (its deadline passed) stores nothing, however long the registry takes.
    const slowLayout = writeImageLayout(join(ctx.sb.dir, 'slow-layout'), [randomLayer(1024)]);
    await registry.pushLayout(join(ctx.sb.dir, 'slow-layout'), 'cri/slow:v1');
    const proxy = await startRegistryProxy(registry.host, { delay: { digest: slowLayout.layers[0]!.digest, ms: 3000 } });
    try {
      const slowRef = `${proxy.host}/cri/slow:v1`;
      const gaveUp = await rejection(ctx.cri.image('PullImage', { image: { image: slowRef } }, { deadline: new Date(Date.now() + 1000) }));
      assert.is(gaveUp.code, grpcStatus.DEADLINE_EXCEEDED);
      await new Promise((r) => setTimeout(r, 4000));
      assert.is((await ctx.cri.image<Obj>('ImageStatus', { image: { image: slowRef } })).image, null, 'the abandoned pull stored no image');
    } finally {
      await proxy.stop();
    }
    const fs = await ctx.cri.image<Obj>('ImageFsInfo', {});
    assert.ok(Number(fs.image_filesystems[0].used_bytes.value) > 4096);
    // Five at once, as critest sends them: every one succeeds.
    const removals = await Promise.allSettled(Array.from({ length: 5 }, () => ctx.cri.image('RemoveImage', { image: { image: layout.manifest.digest } })));
    assert.equal(removals.map((r) => r.status), Array(5).fill('fulfilled'), JSON.stringify(removals));
    assert.is((await ctx.cri.image<Obj>('ImageStatus', { image: { image: ref } })).image, null);
  } finally {
    await registry.stop();
  }
});

t("images: PullImage with the request's credentials (a pull secret's user and password, an identity token, a registry token) from a registry behind token auth", async (ctx) => {
  const registry = await startRegistry({ auth: 'token' });
  try {
    const layoutDir = join(ctx.sb.dir, 'private-layout');
    const layout = writeImageLayout(layoutDir, [randomLayer(2048)]);
    await registry.pushLayout(layoutDir, 'cri/private:v1');
    const ref = `${registry.host}/cri/private:v1`;
    await ctx.cri.stop();
    ctx.cri = await startCriServer(ctx.sb, ctx.config, { global: ['--insecure-options=image'] });
    const anonymous = await rejection(ctx.cri.image('PullImage', { image: { image: ref } }));
    assert.match(anonymous.details, registry.host, 'without credentials the registry refuses');
    const wrong = await rejection(ctx.cri.image('PullImage', { image: { image: ref }, auth: { username: TOKEN_USER, password: 'wrong' } }));
    assert.is.not(wrong.code, grpcStatus.OK);
    const pulled = await ctx.cri.image<Obj>('PullImage', { image: { image: ref }, auth: { username: TOKEN_USER, password: TOKEN_PASSWORD } });
    assert.is(pulled.image_ref, layout.manifest.digest);
    await ctx.cri.image('RemoveImage', { image: { image: ref } });
    // Docker's `auth` form (base64 of user:password), under the server address it names.
    const encoded = Buffer.from(`${TOKEN_USER}:${TOKEN_PASSWORD}`).toString('base64');
    const again = await ctx.cri.image<Obj>('PullImage', { image: { image: ref }, auth: { auth: encoded, server_address: registry.host } });
    assert.is(again.image_ref, layout.manifest.digest);
    await ctx.cri.image('RemoveImage', { image: { image: ref } });
    // An identity token (a credential provider's): an OAuth2 refresh token, traded at the realm; a wrong one is refused.
    const badIdentity = await rejection(ctx.cri.image('PullImage', { image: { image: ref }, auth: { identity_token: 'not-the-token' } }));
    assert.is.not(badIdentity.code, grpcStatus.OK);
    const byIdentity = await ctx.cri.image<Obj>('PullImage', { image: { image: ref }, auth: { identity_token: TOKEN_REFRESH } });
    assert.is(byIdentity.image_ref, layout.manifest.digest);
    await ctx.cri.image('RemoveImage', { image: { image: ref } });
    // A registry token: a bearer token the registry takes as it is (here one the realm issued for this repository).
    const issued = await fetch(`${registry.tokenRealm}?service=podstage-test-registry&scope=repository:cri/private:pull`, {
      headers: { authorization: `Basic ${encoded}` },
    }).then((r) => r.json() as Promise<{ token: string }>);
    const badToken = await rejection(ctx.cri.image('PullImage', { image: { image: ref }, auth: { registry_token: 'not-a-token' } }));
    assert.match(badToken.details, 'refused the registry token');
    const byToken = await ctx.cri.image<Obj>('PullImage', { image: { image: ref }, auth: { registry_token: issued.token } });
    assert.is(byToken.image_ref, layout.manifest.digest);
    await ctx.cri.image('RemoveImage', { image: { image: ref } });
  } finally {
    await registry.stop();
  }
});

t.run();
