/**
 * CPU, memory and process figures of a pod's or an app's cgroup (the ABI's
 * `podstage/<uuid>[/apps/<app>]` on the cgroup v1 hierarchies the stage1s
 * use), network figures of the
 * pod's namespace, as CRI's usage messages. usage_nano_cores is the rate since
 * the previous sample of the same cgroup, kept by the server as containerd does.
 */
import { execFileSync } from 'node:child_process';
import type { AppUsage } from '@podstage/contract';
import { MetricSource } from './metric-sources.js';

const u64 = (value: bigint | number) => ({ value: String(value) });

const previous = new Map<string, { at: bigint; nanos: bigint }>();

export function cpuUsage(cgroup: string, now: bigint) {
  const nanos = new MetricSource(cgroup).number('cpuacct', 'cpuacct.usage');
  return nanos === undefined ? null : cpuFromNanos(cgroup, nanos, now);
}

/** CPU figures from a total; `key` names whose previous sample the rate is taken against. */
export function cpuFromNanos(key: string, nanos: bigint, now: bigint) {
  const last = previous.get(key);
  previous.set(key, { at: now, nanos });
  const rate = last !== undefined && now > last.at && nanos >= last.nanos ? ((nanos - last.nanos) * 1_000_000_000n) / (now - last.at) : undefined;
  return { timestamp: String(now), usage_core_nano_seconds: u64(nanos), usage_nano_cores: rate === undefined ? null : u64(rate), psi: null };
}

export function memoryUsage(cgroup: string, now: bigint) {
  const s = new MetricSource(cgroup);
  const used = s.number('memory', 'memory.usage_in_bytes');
  const workingSet = s.workingSet();
  if (used === undefined || workingSet === undefined) return null;
  const stat = s.keyed('memory', 'memory.stat');
  return {
    timestamp: String(now),
    working_set_bytes: u64(workingSet),
    available_bytes: null,
    usage_bytes: u64(used),
    rss_bytes: u64(stat.get('total_rss') ?? 0n),
    page_faults: u64(stat.get('total_pgfault') ?? 0n),
    major_page_faults: u64(stat.get('total_pgmajfault') ?? 0n),
    psi: null,
  };
}

/** Memory figures a stage1 measured (ABI 5 app-stats: kvm's guest cgroups). */
export function memoryFromUsage(u: AppUsage, now: bigint) {
  return {
    timestamp: String(now), working_set_bytes: u64(u.workingSetBytes), available_bytes: null, usage_bytes: u64(u.memoryBytes),
    rss_bytes: u64(u.rssBytes), page_faults: u64(u.pageFaults), major_page_faults: u64(u.majorPageFaults), psi: null,
  };
}

export function processUsage(cgroup: string, now: bigint) {
  const count = new MetricSource(cgroup).count('pids', 'cgroup.procs');
  return count === undefined ? null : { timestamp: String(now), process_count: u64(count) };
}

export interface NetDevCounters {
  name: string;
  rxBytes: bigint; rxPackets: bigint; rxErrors: bigint; rxDropped: bigint;
  txBytes: bigint; txPackets: bigint; txErrors: bigint; txDropped: bigint;
}

/** The counters of /proc/net/dev in the pod's network namespace, but loopback's; undefined without one. */
export function netDevCounters(netns: string | undefined): NetDevCounters[] | undefined {
  if (netns === undefined) return undefined;
  let text: string;
  try {
    text = execFileSync('nsenter', [`--net=${netns}`, 'cat', '/proc/net/dev'], { encoding: 'utf8', timeout: 5000 });
  } catch {
    return undefined;
  }
  return text.split('\n').slice(2).filter((l) => l.includes(':')).map((l) => {
    const [name, rest] = l.split(':') as [string, string];
    const f = rest.trim().split(/\s+/).map((x) => BigInt(x));
    return {
      name: name.trim(), rxBytes: f[0]!, rxPackets: f[1]!, rxErrors: f[2]!, rxDropped: f[3]!, txBytes: f[8]!, txPackets: f[9]!, txErrors: f[10]!, txDropped: f[11]!,
    };
  }).filter((i) => i.name !== 'lo');
}

/** The pod network's usage; eth0 is the default interface. */
export function networkUsage(netns: string | undefined, now: bigint) {
  const counters = netDevCounters(netns);
  if (counters === undefined) return null;
  const interfaces = counters.map((c) => ({ name: c.name, rx_bytes: u64(c.rxBytes), rx_errors: u64(c.rxErrors), tx_bytes: u64(c.txBytes), tx_errors: u64(c.txErrors) }));
  return { timestamp: String(now), default_interface: interfaces.find((i) => i.name === 'eth0') ?? null, interfaces };
}
