/**
 * The host processes a running pod adds (its apps excluded) and the memory
 * they hold, read from /proc: what the memory and density scenarios weigh.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { podCgroup } from '@podstage/contract/paths';
import type { ProcessMemory } from './report.js';

/** The bench's app: it and what it starts are the pod's payload, not its cost. */
export const APP_COMM = 'benchload';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, … */
  state: string;
  ppid: number;
}

/** /proc/PID/stat: `pid (comm) state ppid …`, where comm may itself hold spaces and parentheses. */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  if (open < 0 || close < open || rest.length < 2) throw new Error(`not a /proc/PID/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  return { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), state: rest[0] as string, ppid: Number(rest[1]) };
}

/** The Rss and Pss lines of /proc/PID/smaps_rollup, in KiB (0 when absent: a kernel thread or a zombie). */
export function parseSmapsRollup(text: string): { rssKiB: number; pssKiB: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
  return { rssKiB: field('Rss'), pssKiB: field('Pss') };
}

/** The cgroup paths of /proc/PID/cgroup (`id:controllers:path`, one line per hierarchy). */
export function parseCgroups(text: string): string[] {
  return text.split('\n').filter(Boolean).map((l) => l.split(':').slice(2).join(':'));
}

export interface ProcEntry extends ProcStat {
  /** Its cgroup in each hierarchy. */
  cgroups: string[];
  /** The arguments, joined by spaces. */
  cmdline: string;
}

const readOr = (file: string, fallback: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback; // the process is gone, or it is a kernel thread
  }
};

/** Every process on the host now (those that end while being read are left out). */
export function readProcessTable(proc = '/proc'): ProcEntry[] {
  const table: ProcEntry[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(join(proc, name, 'stat'), '');
    if (stat === '') continue;
    table.push({
      ...parseStat(stat),
      cgroups: parseCgroups(readOr(join(proc, name, 'cgroup'), '')),
      cmdline: readOr(join(proc, name, 'cmdline'), '').replaceAll('\0', ' ').trim(),
    });
  }
  return table;
}

/** Whose processes to find: descendants of `roots` (themselves included), and for a podstage pod its cgroup and uuid. */
export interface Owner {
  roots: number[];
  uuid?: string;
}

/** `seeds` and every process below them. */
function withDescendants(table: readonly ProcEntry[], seeds: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of table) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const out = new Set<number>();
  const todo = [...seeds];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    if (out.has(pid)) continue;
    out.add(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * The live processes of `owner`: the roots and their descendants, plus (for a pod) any process
 * in the pod's cgroup on any hierarchy or naming the pod's uuid (a monitor that daemonized) and
 * their descendants. Zombies are left out: they hold nothing and only wait to be reaped.
 */
export function belongingPids(table: readonly ProcEntry[], owner: Owner): number[] {
  const { uuid } = owner;
  const cgroup = uuid === undefined ? undefined : `/${podCgroup(uuid)}`;
  const inPod = (p: ProcEntry) => uuid !== undefined && cgroup !== undefined
    && (p.cgroups.some((c) => c === cgroup || c.startsWith(`${cgroup}/`)) || p.cmdline.includes(uuid));
  const known = new Set(table.map((p) => p.pid));
  const seeds = [...owner.roots.filter((pid) => known.has(pid)), ...table.filter(inPod).map((p) => p.pid)];
  const owned = withDescendants(table, seeds);
  return table.filter((p) => owned.has(p.pid) && p.state !== 'Z' && p.pid !== process.pid).map((p) => p.pid);
}

/** What `owner` adds besides its apps: belongingPids minus every `benchload` and what it started. */
export function ownedPids(table: readonly ProcEntry[], owner: Owner): number[] {
  const apps = withDescendants(table, table.filter((p) => p.comm === APP_COMM).map((p) => p.pid));
  return belongingPids(table, owner).filter((pid) => !apps.has(pid));
}

/** What the process is called in a breakdown: its comm, or node for any Node process (whose main thread renames itself). */
function processName(pid: number, comm: string): string {
  try {
    if (basename(readlinkSync(`/proc/${pid}/exe`)) === 'node') return 'node';
  } catch {
    // gone, or no executable to show
  }
  return comm;
}

/** Each process's RSS and PSS, largest PSS first; processes gone meanwhile and those holding no memory are left out. */
export function processMemory(table: readonly ProcEntry[], pids: readonly number[]): ProcessMemory[] {
  const byPid = new Map(table.map((p) => [p.pid, p]));
  return pids.flatMap((pid): ProcessMemory[] => {
    const { rssKiB, pssKiB } = parseSmapsRollup(readOr(`/proc/${pid}/smaps_rollup`, ''));
    return rssKiB > 0 ? [{ name: processName(pid, byPid.get(pid)?.comm ?? '?'), rssKiB, pssKiB }] : [];
  }).sort((a, b) => b.pssKiB - a.pssKiB);
}

export interface MemoryTotals {
  pssMiB: number;
  rssMiB: number;
  /** Resident Node processes. */
  node: number;
}

export function memoryTotals(processes: readonly ProcessMemory[]): MemoryTotals {
  const sum = (f: (p: ProcessMemory) => number) => processes.reduce((n, p) => n + f(p), 0) / 1024;
  return { pssMiB: sum((p) => p.pssKiB), rssMiB: sum((p) => p.rssKiB), node: processes.filter((p) => p.name === 'node').length };
}

/** The processes of all `owners` now (each counted once), and their totals. */
export function weigh(owners: readonly Owner[]): { processes: ProcessMemory[]; totals: MemoryTotals } {
  const table = readProcessTable();
  const processes = processMemory(table, [...new Set(owners.flatMap((o) => ownedPids(table, o)))]);
  return { processes, totals: memoryTotals(processes) };
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * What the pod's cgroup itself accounts (MiB): cgroup v2's memory.current (a pure v2 host, or a v2
 * hierarchy under the root) or v1's memory.usage_in_bytes; undefined when the pod has no memory cgroup.
 */
export function podCgroupMemoryMiB(uuid: string, root = CGROUP_ROOT): number | undefined {
  const cg = podCgroup(uuid);
  const candidates = [join(root, cg, 'memory.current'), ...readdirSync(root).flatMap((h) => [join(root, h, cg, 'memory.current'), join(root, h, cg, 'memory.usage_in_bytes')])];
  const file = candidates.find((f) => existsSync(f));
  const text = file === undefined ? '' : readOr(file, '').trim();
  return /^\d+$/.test(text) ? Number(text) / 1024 / 1024 : undefined;
}
