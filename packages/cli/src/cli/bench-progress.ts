/** The bench's progress: one cli-progress bar per scenario on a terminal, nothing otherwise. */
import { createRequire } from 'node:module';

export interface ScenarioProgress {
  start(scenario: string): void;
  update(done: number, total: number, variant: string): void;
  stop(): void;
}

interface SingleBarLike { start(total: number, value: number, payload: object): void; update(value: number, payload: object): void; stop(): void }

export function scenarioProgress(out: NodeJS.WriteStream = process.stderr): ScenarioProgress {
  if (!out.isTTY) return { start() {}, update() {}, stop() {} };
  const progress = createRequire(import.meta.url)('cli-progress') as { SingleBar: new (opts: object) => SingleBarLike };
  let bar: SingleBarLike | undefined;
  let scenario = '';
  return {
    start(s) {
      bar?.stop();
      bar = undefined;
      scenario = s;
    },
    update(done, total, variant) {
      if (!bar) {
        bar = new progress.SingleBar({ stream: out, hideCursor: true, clearOnComplete: false, format: ' {scenario} [{bar}] {value}/{total} {variant} ~{eta_formatted} left' });
        bar.start(total, 0, { scenario, variant });
      }
      bar.update(done, { scenario, variant });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
