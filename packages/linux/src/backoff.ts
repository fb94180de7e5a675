/** Waiting for the kernel or another process by polling, as briefly as the wait allows. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A sleep for a polling loop that doubles from 1 ms up to `maxMs`: most waits
 * (a process exiting on SIGTERM, a cgroup emptying) end within milliseconds,
 * which a fixed 50 ms poll would add to every stop.
 */
export function backoff(maxMs = 50): () => Promise<void> {
  let delay = 1;
  return async () => {
    await sleep(delay);
    delay = Math.min(delay * 2, maxMs);
  };
}
