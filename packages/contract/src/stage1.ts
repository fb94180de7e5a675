/**
 * The stage1 ABI: what stage0 hands a stage1, what a stage1 must provide.
 * The prose version is ABI.md next to this package; keep both in step.
 */
import { PodstageError } from './errors.js';
import { validateAgainst } from './manifest/validate.js';
import type { PodManifest } from './manifest/types.js';
import type { OutputMode } from './pod-files.js';

/** Bumped whenever an entrypoint gains a flag or a file; stage0 checks it. */
export const ABI_VERSION = 9;

export const ENTRYPOINTS = ['run', 'enter', 'stop', 'gc', 'app-add', 'app-start', 'app-stop', 'app-rm', 'app-update', 'app-stats'] as const;
export type EntrypointName = (typeof ENTRYPOINTS)[number];
export const REQUIRED_ENTRYPOINTS: readonly EntrypointName[] = ['run', 'gc'];

/** `stage1.json` at the root of a stage1 directory. */
export interface Stage1Manifest {
  name: string;
  version: string;
  abiVersion: number;
  /** Entrypoint name → executable path, relative to the stage1 directory. */
  entrypoints: Partial<Record<EntrypointName, string>>;
  /** Isolators and features this stage1 honours (informative; the run entrypoint enforces). */
  capabilities?: string[];
}

export const stage1ManifestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://podstage.io/schemas/stage1-manifest.json',
  type: 'object',
  required: ['name', 'version', 'abiVersion', 'entrypoints'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', 'x-expect': 'must be lower-case letters, digits and dashes' },
    version: { type: 'string', minLength: 1 },
    abiVersion: { type: 'integer', minimum: 1 },
    entrypoints: {
      type: 'object',
      required: REQUIRED_ENTRYPOINTS,
      additionalProperties: false,
      properties: Object.fromEntries(ENTRYPOINTS.map((e) => [e, { type: 'string', minLength: 1 }])),
    },
    capabilities: { type: 'array', items: { type: 'string' } },
  },
} as const;

export function parseStage1Manifest(text: string, file: string): Stage1Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `${file}: not valid JSON (${(err as Error).message})`);
  }
  validateAgainst(stage1ManifestSchema, value, file);
  const m = value as Stage1Manifest;
  if (m.abiVersion > ABI_VERSION) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `${file}: abiVersion ${m.abiVersion} is newer than this podstage supports (${ABI_VERSION})`, {
      hint: 'upgrade podstage or use a stage1 built for this ABI version',
    });
  }
  return m;
}

/** What a stage1 is asked to honour besides the manifest. */
export interface Stage1CheckOptions {
  mutable: boolean;
  net: string;
  insecureOptions: string[];
  stdout?: OutputMode;
  stderr?: OutputMode;
  interactive?: boolean;
  ociRuntime?: string;
}

/** Options stage0 passes to every run entrypoint (as flags on exec, as this object in-process). */
export interface RunOptions {
  uuid: string;
  podDir: string;
  debug: boolean;
  /** "host" shares the host's network; "none" gives a private namespace with loopback only; else CNI network names (netns set). */
  net: string;
  /** ABI 3: the pod's network namespace, set up by stage0 through CNI: the pod joins it. */
  netns?: string;
  interactive: boolean;
  /** Pod starts as a sandbox that apps are added to later. */
  mutable: boolean;
  insecureOptions: string[];
  /** Inherited fd holding the pod's flock; the stage1 keeps it open for the pod's lifetime. */
  lockFd: number;
  /**
   * ABI 2: stage0 does not wait for this run (detach mode). A stage1 whose pod
   * lives on in processes of its own (runc: conmon) may return once the pod
   * runs, having handed the lock to them; others ignore it.
   */
  detach?: boolean;
}

/** How long `stop` gives apps between SIGTERM and SIGKILL. */
export const STOP_TIMEOUT_MS = 10_000;

export interface StopOptions {
  uuid: string;
  podDir: string;
  force: boolean;
}

export interface EnterOptions {
  uuid: string;
  podDir: string;
  app: string;
  command: string[];
  /**
   * ABI 4: stdin, stdout and stderr are one terminal, the caller's controlling
   * terminal; the command gets a terminal whose size follows it.
   */
  tty?: boolean;
}

export interface GcOptions {
  uuid: string;
  podDir: string;
}

export interface AppOptions {
  uuid: string;
  podDir: string;
  app: string;
  force: boolean;
  /** ABI 8, app-stop: seconds between SIGTERM and SIGKILL (the CRI's StopContainer timeout); STOP_TIMEOUT_MS when absent, 0 is force. */
  gracePeriodSeconds?: number;
}

/** ABI 5, `app-update`: the running app's new limits (absent: unchanged). */
export interface AppUpdateOptions {
  uuid: string;
  podDir: string;
  app: string;
  memoryBytes?: number;
  cpuMillis?: number;
}

/** ABI 5, `app-stats`: a running app's usage, for a stage1 whose apps' cgroups are not on the host. */
export interface AppUsage {
  /** CPU time used, nanoseconds. */
  cpuNanos: number;
  memoryBytes: number;
  /** Memory use less inactive file pages (what the kubelet evicts on). */
  workingSetBytes: number;
  rssBytes: number;
  pageFaults: number;
  majorPageFaults: number;
  processes: number;
}

/**
 * A built-in stage1's in-process form. `run` normally never returns: it execs
 * the isolator (or the app) in place. Optional hooks are absent when the
 * stage1 cannot do the thing; stage0 then refuses cleanly.
 */
export interface Stage1Implementation {
  manifest: Stage1Manifest;
  /** Refuse, before anything is written, a pod this stage1 cannot honour. */
  check?(m: PodManifest, o: Stage1CheckOptions): void;
  run(opts: RunOptions): Promise<never>;
  /**
   * Detach mode in-process, for a stage1 whose pods live in processes of their own (runc,
   * host: conmon): start the pod, hand the lock over, return the monitor's pid once it runs.
   * Without it stage0 starts the run entrypoint as a process of its own.
   */
  start?(opts: RunOptions): Promise<number>;
  gc(opts: GcOptions): Promise<void>;
  stop?(opts: StopOptions): Promise<void>;
  enter?(opts: EnterOptions): Promise<number>;
  appAdd?(opts: AppOptions): Promise<void>;
  appStart?(opts: AppOptions): Promise<void>;
  appStop?(opts: AppOptions): Promise<void>;
  appRm?(opts: AppOptions): Promise<void>;
  appUpdate?(opts: AppUpdateOptions): Promise<void>;
  appStats?(opts: AppOptions): Promise<AppUsage>;
}

/** Values of --insecure-options (rkt's), validated where parsed. */
export const INSECURE_OPTIONS = ['none', 'image', 'tls', 'http', 'pubkey', 'capabilities', 'paths', 'seccomp', 'all-fetch', 'all-run', 'all'] as const;
export type InsecureOption = (typeof INSECURE_OPTIONS)[number];

export function expandInsecureOptions(values: string[]): Set<InsecureOption> {
  const out = new Set<InsecureOption>();
  for (const raw of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')) {
    if (!(INSECURE_OPTIONS as readonly string[]).includes(raw)) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `--insecure-options: unknown value ${JSON.stringify(raw)}, expected one of ${INSECURE_OPTIONS.join(', ')}`);
    }
    const v = raw as InsecureOption;
    if (v === 'all-fetch' || v === 'all') ['image', 'tls', 'http', 'pubkey'].forEach((x) => out.add(x as InsecureOption));
    if (v === 'all-run' || v === 'all') ['capabilities', 'paths', 'seccomp'].forEach((x) => out.add(x as InsecureOption));
    if (v !== 'none' && v !== 'all' && v !== 'all-run' && v !== 'all-fetch') out.add(v);
  }
  return out;
}
