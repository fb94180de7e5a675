/** The bench's JSON report: its shape and its schema (checked before it is written). */
import { Ajv } from 'ajv';
import type { HostFacts } from './host-facts.js';
import type { Summary } from './stats.js';

/** podstage through its CLI; a raw isolator, Node or the host itself; another container runtime. */
export type VariantKind = 'podstage' | 'baseline' | 'peer';

export interface MetricDef {
  id: string;
  label: string;
  unit: string;
  /** Lower is better and ratios to the baselines and peers are worth computing (times, sizes). */
  ratios: boolean;
}

export interface MetricResult {
  /** One value per measured run, in the order they ran. */
  samples: number[];
  summary: Summary;
  /** This variant's value over each baseline's and peer's, pair by pair (only for metrics with `ratios`). */
  ratios: Record<string, Summary>;
  /** This variant's value minus its raw isolator's, pair by pair (see VariantResult.rawIsolator). */
  overRaw?: Summary;
}

/** One host process that belongs to a running pod (apps excluded), from /proc/PID/smaps_rollup. */
export interface ProcessMemory {
  /** What it is (its comm, or node for a podstage process). */
  name: string;
  rssKiB: number;
  pssKiB: number;
}

export interface VariantResult {
  id: string;
  label: string;
  kind: VariantKind;
  /** A podstage variant's raw isolator (a baseline of the same scenario): fly chroot, host nspawn, runc runc run, kvm QEMU. */
  rawIsolator?: string;
  failures: number;
  /** The first failures' messages (at most three), so a failing variant says why. */
  errors: string[];
  metrics: Record<string, MetricResult>;
  /** The memory scenario's breakdown of the last measured run. */
  processes?: ProcessMemory[];
}

export interface Skipped {
  id: string;
  reason: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** What is measured and how, in a sentence or two. */
  description: string;
  metrics: MetricDef[];
  variants: VariantResult[];
  skipped: Skipped[];
  /** How peers were run when they needed help on this host, and similar remarks. */
  notes: string[];
  /** Wall time of the whole scenario (fixtures, warm-up, runs). */
  durationS: number;
}

export interface BenchReport {
  version: 2;
  startedAt: string;
  durationS: number;
  host: HostFacts;
  options: { runs: number; warmup: number; quick: boolean; stage1s: string[]; scenarios: string[]; peers: string[]; densities: number[] };
  scenarios: ScenarioResult[];
}

const summary = {
  type: 'object', required: ['runs', 'min', 'median', 'p90', 'max'], additionalProperties: false,
  properties: { runs: { type: 'integer', minimum: 1 }, min: { type: 'number' }, median: { type: 'number' }, p90: { type: 'number' }, max: { type: 'number' } },
} as const;

const strings = { type: 'array', items: { type: 'string' } } as const;

const metricResult = {
  type: 'object', required: ['samples', 'summary', 'ratios'], additionalProperties: false,
  properties: { samples: { type: 'array', minItems: 1, items: { type: 'number' } }, summary, ratios: { type: 'object', additionalProperties: summary }, overRaw: summary },
} as const;

const variant = {
  type: 'object', required: ['id', 'label', 'kind', 'failures', 'errors', 'metrics'], additionalProperties: false,
  properties: {
    id: { type: 'string' }, label: { type: 'string' }, kind: { enum: ['podstage', 'baseline', 'peer'] }, rawIsolator: { type: 'string' },
    failures: { type: 'integer', minimum: 0 }, errors: strings,
    metrics: { type: 'object', additionalProperties: metricResult },
    processes: {
      type: 'array',
      items: {
        type: 'object', required: ['name', 'rssKiB', 'pssKiB'], additionalProperties: false,
        properties: { name: { type: 'string' }, rssKiB: { type: 'number', minimum: 0 }, pssKiB: { type: 'number', minimum: 0 } },
      },
    },
  },
} as const;

const scenario = {
  type: 'object', required: ['id', 'title', 'description', 'metrics', 'variants', 'skipped', 'notes', 'durationS'], additionalProperties: false,
  properties: {
    id: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, durationS: { type: 'number', minimum: 0 },
    metrics: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['id', 'label', 'unit', 'ratios'], additionalProperties: false,
        properties: { id: { type: 'string' }, label: { type: 'string' }, unit: { type: 'string' }, ratios: { type: 'boolean' } },
      },
    },
    variants: { type: 'array', items: variant },
    skipped: {
      type: 'array',
      items: { type: 'object', required: ['id', 'reason'], additionalProperties: false, properties: { id: { type: 'string' }, reason: { type: 'string' } } },
    },
    notes: strings,
  },
} as const;

export const REPORT_SCHEMA = {
  type: 'object',
  required: ['version', 'startedAt', 'durationS', 'host', 'options', 'scenarios'],
  additionalProperties: false,
  properties: {
    version: { const: 2 },
    startedAt: { type: 'string' },
    durationS: { type: 'number', minimum: 0 },
    host: {
      type: 'object',
      required: ['cpu', 'cores', 'memoryMiB', 'os', 'kernel', 'virtual', 'cgroups', 'kvm', 'node', 'nodeEnv'],
      additionalProperties: false,
      properties: {
        cpu: { type: 'string' }, cores: { type: 'integer' }, memoryMiB: { type: 'integer' }, os: { type: 'string' }, kernel: { type: 'string' },
        virtual: { type: 'boolean' }, cgroups: { enum: ['v1 (hybrid)', 'v1', 'v2'] }, kvm: { type: 'string' }, node: { type: 'string' }, nodeEnv: strings,
      },
    },
    options: {
      type: 'object',
      required: ['runs', 'warmup', 'quick', 'stage1s', 'scenarios', 'peers', 'densities'],
      additionalProperties: false,
      properties: {
        runs: { type: 'integer', minimum: 1 }, warmup: { type: 'integer', minimum: 0 }, quick: { type: 'boolean' },
        stage1s: strings, scenarios: strings, peers: strings, densities: { type: 'array', items: { type: 'integer', minimum: 1 } },
      },
    },
    scenarios: { type: 'array', items: scenario },
  },
} as const;

/** Throws naming the first field that does not match REPORT_SCHEMA. */
export function validateReport(report: unknown): asserts report is BenchReport {
  const validate = new Ajv({ allErrors: false }).compile(REPORT_SCHEMA);
  if (!validate(report)) {
    const e = validate.errors?.[0];
    throw new Error(`bench report${e?.instancePath ?? ''}: ${e?.message ?? 'invalid'}`);
  }
}
