/** The bench's JSON report: its shape, its schema (checked before it is written), and ratios. */
import { Ajv } from 'ajv';
import type { HostFacts } from './host-facts.js';
import type { Skipped } from './scenarios/cold-start.js';
import type { Summary } from './stats.js';

export interface VariantResult {
  id: string;
  label: string;
  kind: 'podstage' | 'baseline';
  /** Wall time of each measured run in ms, in the order they ran. */
  samplesMs: number[];
  ms: Summary;
  failures: number;
  /** This variant's time over each baseline's, pair by pair. */
  ratios: Record<string, Summary>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  variants: VariantResult[];
  skipped: Skipped[];
}

export interface BenchReport {
  version: 1;
  startedAt: string;
  host: HostFacts;
  runs: number;
  warmup: number;
  scenarios: ScenarioResult[];
}

const summary = {
  type: 'object', required: ['runs', 'min', 'median', 'p90', 'max'], additionalProperties: false,
  properties: { runs: { type: 'integer', minimum: 1 }, min: { type: 'number' }, median: { type: 'number' }, p90: { type: 'number' }, max: { type: 'number' } },
} as const;

export const REPORT_SCHEMA = {
  type: 'object',
  required: ['version', 'startedAt', 'host', 'runs', 'warmup', 'scenarios'],
  additionalProperties: false,
  properties: {
    version: { const: 1 },
    startedAt: { type: 'string' },
    host: {
      type: 'object',
      required: ['cpu', 'cores', 'memoryMiB', 'os', 'kernel', 'virtual', 'cgroups', 'node', 'nodeEnv'],
      properties: {
        cpu: { type: 'string' }, cores: { type: 'integer' }, memoryMiB: { type: 'integer' }, os: { type: 'string' }, kernel: { type: 'string' },
        virtual: { type: 'boolean' }, cgroups: { enum: ['v1 (hybrid)', 'v1', 'v2'] }, node: { type: 'string' }, nodeEnv: { type: 'array', items: { type: 'string' } },
      },
    },
    runs: { type: 'integer', minimum: 1 },
    warmup: { type: 'integer', minimum: 0 },
    scenarios: {
      type: 'array',
      items: {
        type: 'object', required: ['id', 'title', 'variants', 'skipped'], additionalProperties: false,
        properties: {
          id: { type: 'string' }, title: { type: 'string' },
          variants: {
            type: 'array',
            items: {
              type: 'object', required: ['id', 'label', 'kind', 'samplesMs', 'ms', 'failures', 'ratios'], additionalProperties: false,
              properties: {
                id: { type: 'string' }, label: { type: 'string' }, kind: { enum: ['podstage', 'baseline'] },
                samplesMs: { type: 'array', items: { type: 'number' } }, ms: summary, failures: { type: 'integer', minimum: 0 },
                ratios: { type: 'object', additionalProperties: summary },
              },
            },
          },
          skipped: { type: 'array', items: { type: 'object', required: ['id', 'reason'], properties: { id: { type: 'string' }, reason: { type: 'string' } } } },
        },
      },
    },
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
