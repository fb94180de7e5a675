/**
 * What the metrics (metrics.ts) are read from, for one container or a pod: its cgroup v1
 * directories on the host (`podstage/<uuid>[/apps/<app>]`, absent for a kvm app, whose cgroup is
 * in its guest), its processes' file descriptors, its writable layer's file system, and the
 * figures its stage1 measured. Each file is read once per source, when a metric asks for it.
 */
import { readdirSync, readFileSync, readlinkSync, lstatSync, statfsSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppUsage } from '@podstage/contract';
import { CGROUP_ROOT } from '@podstage/linux';

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.oom_control) as numbers. */
export function keyedNumbers(text: string | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && v !== undefined && /^\d+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

/** One device's line of a blkio file: `MAJ:MIN Read|Write|Sync|Async|Discard|Total N`. */
export interface BlkioEntry { major: string; minor: string; operation: string; value: bigint }

export function blkioEntries(text: string | undefined): BlkioEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    return m === null ? [] : [{ major: m[1] as string, minor: m[2] as string, operation: m[3] as string, value: BigInt(m[4] as string) }];
  });
}

/** The writable layer's file system (its device as `MAJ:MIN`) and what the layer takes of it. */
export interface FsFigures { device: string; limitBytes: bigint; usageBytes: bigint; inodesTotal: bigint; inodesFree: bigint }

/** How long a writable layer's measured size is reused: walking a large layer at every scrape would cost more than it tells (cAdvisor measures once a minute). */
const DISK_USAGE_MAX_AGE_MS = 60_000;
const measured = new Map<string, { at: number; bytes: bigint }>();

/** Bytes a directory tree takes on disk (allocated blocks, as du), without following links or leaving it. */
function diskUsage(dir: string): bigint {
  let total = 0n;
  const walk = (path: string) => {
    const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return;
    total += st.blocks * 512n;
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) walk(join(path, name));
  };
  walk(dir);
  return total;
}

export interface SourceOptions {
  /** When the container (or the pod) started, seconds since the epoch. */
  startedAtSeconds?: bigint;
  /** The writable layer's directory (a container's), for the fs_* metrics. */
  upper?: string;
  /** What the stage1 measured, for a container whose cgroup is not on the host. */
  usage?: AppUsage | undefined;
}

export class MetricSource {
  private readonly files = new Map<string, string | undefined>();
  private fdCounts: { files: number; sockets: number } | undefined;

  /** `cgroup`: the cgroup's path below each hierarchy, or undefined where it is not on the host. */
  constructor(readonly cgroup: string | undefined, readonly options: SourceOptions = {}, private readonly root = CGROUP_ROOT) {}

  get usage(): AppUsage | undefined {
    return this.options.usage;
  }

  /** A cgroup file's text, or undefined (no such controller or file, or no cgroup on the host). */
  file(controller: string, name: string): string | undefined {
    if (this.cgroup === undefined) return undefined;
    const path = join(this.root, controller, this.cgroup, name);
    if (!this.files.has(path)) {
      let text: string | undefined;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        text = undefined;
      }
      this.files.set(path, text);
    }
    return this.files.get(path);
  }

  number(controller: string, name: string): bigint | undefined {
    const text = this.file(controller, name)?.trim();
    return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : undefined;
  }

  keyed(controller: string, name: string): Map<string, bigint> {
    return keyedNumbers(this.file(controller, name));
  }

  /** Lines of a list file (cgroup.procs, tasks). */
  count(controller: string, name: string): bigint | undefined {
    const text = this.file(controller, name);
    return text === undefined ? undefined : BigInt(text.split('\n').filter(Boolean).length);
  }

  /** Open file descriptors of the cgroup's processes, and how many of them are sockets. */
  descriptors(): { files: number; sockets: number } | undefined {
    if (this.fdCounts !== undefined) return this.fdCounts;
    const procs = this.file('pids', 'cgroup.procs') ?? this.file('memory', 'cgroup.procs');
    if (procs === undefined) return undefined;
    const counts = { files: 0, sockets: 0 };
    for (const pid of procs.split('\n').filter(Boolean)) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue; // gone meanwhile
      }
      for (const fd of fds) {
        counts.files += 1;
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) counts.sockets += 1;
        } catch {
          // closed meanwhile
        }
      }
    }
    this.fdCounts = counts;
    return counts;
  }

  /** Memory usage less inactive file pages (what the kubelet evicts on). */
  workingSet(): bigint | undefined {
    const usage = this.number('memory', 'memory.usage_in_bytes');
    if (usage === undefined) return undefined;
    const inactive = this.keyed('memory', 'memory.stat').get('total_inactive_file') ?? 0n;
    return usage > inactive ? usage - inactive : 0n;
  }

  fs(): FsFigures | undefined {
    const { upper } = this.options;
    if (upper === undefined || !existsSync(upper)) return undefined;
    const s = statfsSync(upper, { bigint: true });
    let usage = measured.get(upper);
    if (usage === undefined || Date.now() - usage.at > DISK_USAGE_MAX_AGE_MS) {
      for (const [dir, m] of measured) if (Date.now() - m.at > DISK_USAGE_MAX_AGE_MS) measured.delete(dir);
      usage = { at: Date.now(), bytes: diskUsage(upper) };
      measured.set(upper, usage);
    }
    const dev = statSync(upper, { bigint: true }).dev;
    const device = `${((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)}:${(dev & 0xffn) | ((dev >> 12n) & ~0xffn)}`;
    return { device, limitBytes: s.blocks * s.bsize, inodesTotal: s.files, inodesFree: s.ffree, usageBytes: usage.bytes };
  }
}
