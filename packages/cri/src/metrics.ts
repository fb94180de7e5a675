/**
 * Pod and container metrics for the kubelet's CRI metrics collector
 * (ListMetricDescriptors, ListPodSandboxMetrics), under cAdvisor's names and
 * labels so that its dashboards read them unchanged: CPU, memory, processes,
 * file descriptors, the writable layer's file system and block I/O from the
 * cgroups (metric-sources.ts), the pod network's counters. The proto carries
 * whole numbers, so seconds are whole (as CRI-O reports them). A figure that
 * cannot be had (a kvm app's cgroup is in its guest) is left out, not made up.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { appCgroupOf, pod, podCgroupOf, type AppUsage } from '@podstage/contract';
import { CGROUP_ROOT } from '@podstage/linux';
import { blkioEntries, MetricSource, type BlkioEntry, type FsFigures } from './metric-sources.js';
import type { NetDevCounters } from './stats.js';
import type { Container, Sandbox } from './state.js';

/** cAdvisor's labels of a container's series; a pod's own series have container "POD". */
const CONTAINER_LABELS = ['container', 'id', 'image', 'name', 'namespace', 'pod'];

type MetricType = 'COUNTER' | 'GAUGE';
/** One series of a metric: the values of its labels beyond CONTAINER_LABELS, and its value. */
interface Series { extra: string[]; value: bigint }
interface Definition<S> { name: string; help: string; type: MetricType; extra: string[]; read(source: S, now: bigint): Series[] }

const NANOS = 1_000_000_000n;
/** USER_HZ, the unit of cpuacct.stat. */
const TICKS_PER_SECOND = 100n;

const one = (value: bigint | undefined): Series[] => (value === undefined ? [] : [{ extra: [], value }]);
const div = (value: bigint | undefined, by: bigint) => (value === undefined ? undefined : value / by);
const orUsage = (value: bigint | undefined, s: MetricSource, pick: (u: AppUsage) => number) => value ?? (s.usage === undefined ? undefined : BigInt(pick(s.usage)));

function def(name: string, help: string, type: MetricType, read: (s: MetricSource, now: bigint) => bigint | undefined): Definition<MetricSource> {
  return { name, help, type, extra: [], read: (s, now) => one(read(s, now)) };
}

/** `/dev/NAME` of a block device, from sysfs; `MAJ:MIN` when it has none. */
function deviceName(major: string, minor: string): string {
  try {
    const name = /^DEVNAME=(.+)$/m.exec(readFileSync(`/sys/dev/block/${major}:${minor}/uevent`, 'utf8'))?.[1];
    if (name !== undefined) return `/dev/${name}`;
  } catch {
    // not a block device sysfs knows
  }
  return `${major}:${minor}`;
}

function perDevice(s: MetricSource, file: string, operation: string): Series[] {
  return blkioEntries(s.file('blkio', file)).filter((e) => e.operation === operation).map((e) => ({ extra: [deviceName(e.major, e.minor)], value: e.value }));
}

const blkioUsage = (e: BlkioEntry): Series => ({ extra: [deviceName(e.major, e.minor), e.major, e.minor, e.operation], value: e.value });

function fsSeries(s: MetricSource, pick: (f: FsFigures) => bigint): Series[] {
  const fs = s.fs();
  return fs === undefined ? [] : [{ extra: [fs.device], value: pick(fs) }];
}

const CONTAINER_METRICS: Definition<MetricSource>[] = [
  def('container_cpu_usage_seconds_total', 'Cumulative CPU time consumed, in whole seconds.', 'COUNTER', (s) => div(orUsage(s.number('cpuacct', 'cpuacct.usage'), s, (u) => u.cpuNanos), NANOS)),
  def('container_cpu_user_seconds_total', 'Cumulative user CPU time consumed, in whole seconds.', 'COUNTER', (s) => div(s.keyed('cpuacct', 'cpuacct.stat').get('user'), TICKS_PER_SECOND)),
  def('container_cpu_system_seconds_total', 'Cumulative system CPU time consumed, in whole seconds.', 'COUNTER', (s) => div(s.keyed('cpuacct', 'cpuacct.stat').get('system'), TICKS_PER_SECOND)),
  def('container_cpu_cfs_periods_total', 'Number of elapsed enforcement period intervals.', 'COUNTER', (s) => s.keyed('cpu', 'cpu.stat').get('nr_periods')),
  def('container_cpu_cfs_throttled_periods_total', 'Number of throttled period intervals.', 'COUNTER', (s) => s.keyed('cpu', 'cpu.stat').get('nr_throttled')),
  def('container_cpu_cfs_throttled_seconds_total', 'Total time duration the container has been throttled, in whole seconds.', 'COUNTER', (s) => div(s.keyed('cpu', 'cpu.stat').get('throttled_time'), NANOS)),
  def('container_spec_cpu_period', 'CPU period of the container, in microseconds.', 'GAUGE', (s) => s.number('cpu', 'cpu.cfs_period_us')),
  def('container_spec_cpu_quota', 'CPU quota of the container, in microseconds per period.', 'GAUGE', (s) => s.number('cpu', 'cpu.cfs_quota_us')),
  def('container_spec_cpu_shares', 'CPU share of the container.', 'GAUGE', (s) => s.number('cpu', 'cpu.shares')),
  def('container_memory_usage_bytes', 'Current memory usage, including all memory regardless of when it was accessed.', 'GAUGE', (s) => orUsage(s.number('memory', 'memory.usage_in_bytes'), s, (u) => u.memoryBytes)),
  def('container_memory_working_set_bytes', 'Current working set: memory usage less inactive file pages.', 'GAUGE', (s) => orUsage(s.workingSet(), s, (u) => u.workingSetBytes)),
  def('container_memory_rss', 'Size of RSS in bytes.', 'GAUGE', (s) => orUsage(s.keyed('memory', 'memory.stat').get('total_rss'), s, (u) => u.rssBytes)),
  def('container_memory_cache', 'Number of bytes of page cache memory.', 'GAUGE', (s) => s.keyed('memory', 'memory.stat').get('total_cache')),
  def('container_memory_mapped_file', 'Size of memory mapped files in bytes.', 'GAUGE', (s) => s.keyed('memory', 'memory.stat').get('total_mapped_file')),
  def('container_memory_swap', 'Container swap usage in bytes.', 'GAUGE', (s) => s.keyed('memory', 'memory.stat').get('total_swap')),
  def('container_memory_kernel_usage', 'Size of kernel memory allocated in bytes.', 'GAUGE', (s) => s.number('memory', 'memory.kmem.usage_in_bytes')),
  def('container_memory_max_usage_bytes', 'Maximum memory usage recorded in bytes.', 'GAUGE', (s) => s.number('memory', 'memory.max_usage_in_bytes')),
  def('container_memory_failcnt', 'Number of memory usage hits limits.', 'COUNTER', (s) => s.number('memory', 'memory.failcnt')),
  {
    name: 'container_memory_failures_total', help: 'Cumulative count of memory allocation failures.', type: 'COUNTER', extra: ['failure_type', 'scope'],
    read(s) {
      const stat = s.keyed('memory', 'memory.stat');
      const series: [string, string, bigint | undefined][] = s.usage !== undefined && stat.size === 0
        ? [['pgfault', 'container', BigInt(s.usage.pageFaults)], ['pgmajfault', 'container', BigInt(s.usage.majorPageFaults)]]
        : [['pgfault', 'container', stat.get('pgfault')], ['pgmajfault', 'container', stat.get('pgmajfault')], ['pgfault', 'hierarchy', stat.get('total_pgfault')], ['pgmajfault', 'hierarchy', stat.get('total_pgmajfault')]];
      return series.flatMap(([type, scope, value]) => (value === undefined ? [] : [{ extra: [type, scope], value }]));
    },
  },
  def('container_oom_events_total', 'Count of out of memory events observed for the container.', 'COUNTER', (s) => s.keyed('memory', 'memory.oom_control').get('oom_kill')),
  def('container_spec_memory_limit_bytes', 'Memory limit for the container.', 'GAUGE', (s) => s.number('memory', 'memory.limit_in_bytes')),
  def('container_spec_memory_swap_limit_bytes', 'Memory and swap limit for the container.', 'GAUGE', (s) => s.number('memory', 'memory.memsw.limit_in_bytes')),
  def('container_spec_memory_reservation_limit_bytes', 'Memory reservation (soft limit) for the container.', 'GAUGE', (s) => s.number('memory', 'memory.soft_limit_in_bytes')),
  def('container_processes', 'Number of processes running inside the container.', 'GAUGE', (s) => orUsage(s.count('pids', 'cgroup.procs'), s, (u) => u.processes)),
  def('container_threads', 'Number of threads running inside the container.', 'GAUGE', (s) => s.count('pids', 'tasks')),
  // cAdvisor's 0 for no limit ("max").
  def('container_threads_max', 'Maximum number of threads allowed inside the container, 0 for no limit.', 'GAUGE', (s) => {
    const max = s.file('pids', 'pids.max')?.trim();
    return max === undefined ? undefined : max === 'max' ? 0n : BigInt(max);
  }),
  def('container_file_descriptors', 'Number of open file descriptors for the container.', 'GAUGE', (s) => {
    const d = s.descriptors();
    return d === undefined ? undefined : BigInt(d.files);
  }),
  def('container_sockets', 'Number of open sockets for the container.', 'GAUGE', (s) => {
    const d = s.descriptors();
    return d === undefined ? undefined : BigInt(d.sockets);
  }),
  { name: 'container_fs_usage_bytes', help: "Bytes the container's writable layer takes on its file system.", type: 'GAUGE', extra: ['device'], read: (s) => fsSeries(s, (f) => f.usageBytes) },
  { name: 'container_fs_limit_bytes', help: "Bytes the writable layer's file system can hold.", type: 'GAUGE', extra: ['device'], read: (s) => fsSeries(s, (f) => f.limitBytes) },
  { name: 'container_fs_inodes_total', help: "Inodes of the writable layer's file system.", type: 'GAUGE', extra: ['device'], read: (s) => fsSeries(s, (f) => f.inodesTotal) },
  { name: 'container_fs_inodes_free', help: "Free inodes of the writable layer's file system.", type: 'GAUGE', extra: ['device'], read: (s) => fsSeries(s, (f) => f.inodesFree) },
  { name: 'container_fs_reads_bytes_total', help: 'Cumulative count of bytes read.', type: 'COUNTER', extra: ['device'], read: (s) => perDevice(s, 'blkio.throttle.io_service_bytes', 'Read') },
  { name: 'container_fs_writes_bytes_total', help: 'Cumulative count of bytes written.', type: 'COUNTER', extra: ['device'], read: (s) => perDevice(s, 'blkio.throttle.io_service_bytes', 'Write') },
  { name: 'container_fs_reads_total', help: 'Cumulative count of reads completed.', type: 'COUNTER', extra: ['device'], read: (s) => perDevice(s, 'blkio.throttle.io_serviced', 'Read') },
  { name: 'container_fs_writes_total', help: 'Cumulative count of writes completed.', type: 'COUNTER', extra: ['device'], read: (s) => perDevice(s, 'blkio.throttle.io_serviced', 'Write') },
  {
    name: 'container_blkio_device_usage_total', help: 'Blkio device bytes usage.', type: 'COUNTER', extra: ['device', 'major', 'minor', 'operation'],
    read: (s) => blkioEntries(s.file('blkio', 'blkio.throttle.io_service_bytes')).filter((e) => e.operation !== 'Total').map(blkioUsage),
  },
  def('container_start_time_seconds', 'Start time of the container since the Unix epoch, in seconds.', 'GAUGE', (s) => s.options.startedAtSeconds),
  def('container_last_seen', 'Last time the container was seen, in seconds since the Unix epoch.', 'GAUGE', (_s, now) => now / NANOS),
];

const netDef = (name: string, help: string, pick: (c: NetDevCounters) => bigint): Definition<NetDevCounters[]> => ({
  name, help, type: 'COUNTER', extra: ['interface'], read: (interfaces) => interfaces.map((c) => ({ extra: [c.name], value: pick(c) })),
});

const NETWORK_METRICS: Definition<NetDevCounters[]>[] = [
  netDef('container_network_receive_bytes_total', 'Cumulative bytes received.', (c) => c.rxBytes),
  netDef('container_network_receive_packets_total', 'Cumulative packets received.', (c) => c.rxPackets),
  netDef('container_network_receive_errors_total', 'Cumulative errors encountered while receiving.', (c) => c.rxErrors),
  netDef('container_network_receive_packets_dropped_total', 'Cumulative packets dropped while receiving.', (c) => c.rxDropped),
  netDef('container_network_transmit_bytes_total', 'Cumulative bytes transmitted.', (c) => c.txBytes),
  netDef('container_network_transmit_packets_total', 'Cumulative packets transmitted.', (c) => c.txPackets),
  netDef('container_network_transmit_errors_total', 'Cumulative errors encountered while transmitting.', (c) => c.txErrors),
  netDef('container_network_transmit_packets_dropped_total', 'Cumulative packets dropped while transmitting.', (c) => c.txDropped),
];

export const metricDescriptors = () => [...CONTAINER_METRICS, ...NETWORK_METRICS].map((d) => ({ name: d.name, help: d.help, label_keys: [...CONTAINER_LABELS, ...d.extra] }));

/** Every series of the definitions; timestamp 0: collected now, as the collector reads it. */
function samples<S>(definitions: Definition<S>[], source: S, labels: string[], now: bigint) {
  return definitions.flatMap((d) => d.read(source, now).map((series) => ({
    name: d.name, timestamp: '0', metric_type: d.type, label_values: [...labels, ...series.extra], value: { value: String(series.value) },
  })));
}

const seconds = (nanos: string) => BigInt(nanos) / NANOS;

/** A container's cgroup below each hierarchy, where it is on the host (a kvm app's is in its guest). */
export function hostCgroupOf(c: Container): string | undefined {
  const cgroup = appCgroupOf(c.sandbox.ref.path, c.app.name);
  return existsSync(join(CGROUP_ROOT, 'memory', cgroup)) ? cgroup : undefined;
}

/** A running container's source: its cgroup where it is on the host, else what its stage1 measured. */
function containerSource(c: Container, usage: AppUsage | undefined): MetricSource {
  const cgroup = hostCgroupOf(c);
  return new MetricSource(cgroup, { startedAtSeconds: seconds(c.startedAt), upper: pod.appUpper(c.sandbox.ref.path, c.app.name), usage: cgroup === undefined ? usage : undefined });
}

/**
 * A sandbox's metrics (its pod's cgroup and network as container "POD") and each running
 * container's; `usages` holds what the stage1 measured for the containers whose cgroup is not on the host.
 */
export function podSandboxMetrics(s: Sandbox, containers: Container[], usages: Map<string, AppUsage>, network: NetDevCounters[], now: bigint) {
  const meta = s.record.metadata;
  const labelsOf = (container: string, id: string, image: string) => [container, id, image, id, meta.namespace ?? '', meta.name];
  const podLabels = labelsOf('POD', s.ref.uuid, '');
  return {
    pod_sandbox_id: s.ref.uuid,
    metrics: [
      ...samples(CONTAINER_METRICS, new MetricSource(podCgroupOf(s.ref.path), { startedAtSeconds: seconds(s.createdAt) }), podLabels, now),
      ...samples(NETWORK_METRICS, network, podLabels, now),
    ],
    container_metrics: containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => ({
      container_id: c.id,
      metrics: samples(CONTAINER_METRICS, containerSource(c, usages.get(c.id)), labelsOf(c.record.metadata.name, c.id, c.record.image), now),
    })),
  };
}
