/**
 * What the metrics (metrics.ts) are read from, for one container or a pod: its cgroup v1
 * directories on the host (`podstage/<uuid>[/apps/<app>]`, absent for a kvm app, whose cgroup is
 * in its guest), its processes' file descriptors, its writable layer's file system, and the
 * figures its stage1 measured. Each file is read once per source, when a metric asks for it.
 */
import { readdirSync, readFileSync, readlinkSync, lstatSync, statfsSync, existsSync } from 'node:fs';
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

export interface FsFigures { limitBytes: bigint; usageBytes: bigint; inodesTotal: bigint; inodesFree: bigint }

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

export class MetricSource {
  private readonly files = new Map<string, string | undefined>();
  private fdCounts: { files: number; sockets: number } | undefined;

  /**
   * @param cgroup the cgroup's path below each hierarchy, or undefined where it is not on the host
   * @param upper the writable layer's directory (a container's), for the fs_* metrics
   * @param usage what the stage1 measured, for a container whose cgroup is not on the host
   */
  constructor(
    readonly cgroup: string | undefined, readonly startedAtSeconds: bigint, readonly upper?: string, readonly usage?: AppUsage, private readonly root = CGROUP_ROOT,
  ) {}

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

  /** The writable layer's file system and what the layer takes of it. */
  fs(): FsFigures | undefined {
    if (this.upper === undefined || !existsSync(this.upper)) return undefined;
    const s = statfsSync(this.upper, { bigint: true });
    let usage = measured.get(this.upper);
    if (usage === undefined || Date.now() - usage.at > DISK_USAGE_MAX_AGE_MS) {
      for (const [dir, m] of measured) if (Date.now() - m.at > DISK_USAGE_MAX_AGE_MS) measured.delete(dir);
      usage = { at: Date.now(), bytes: diskUsage(this.upper) };
      measured.set(this.upper, usage);
    }
    return { limitBytes: s.blocks * s.bsize, inodesTotal: s.files, inodesFree: s.ffree, usageBytes: usage.bytes };
  }
}
