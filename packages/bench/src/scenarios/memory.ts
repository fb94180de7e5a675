/** The memory scenario (being written). */
import type { BenchContext } from '../context.js';
import type { ScenarioResult } from '../report.js';
import type { ScenarioInfo } from '../run.js';

export const INFO: ScenarioInfo = { id: 'memory', title: 'memory', description: 'not written yet', metrics: [{ id: 'x', label: 'x', unit: 'x', ratios: false }] };

export function run(_ctx: BenchContext): Promise<ScenarioResult> {
  return Promise.reject(new Error('the memory scenario is not written yet'));
}
