/** The app's seccomp filter, compiled before exec and installed last. Waits for @podstage/seccomp. */
import type { EffectiveIsolators } from '@podstage/contract';

export function seccompInstaller(_iso: EffectiveIsolators, _insecure: readonly string[], _app: string): (() => void) | undefined {
  return undefined;
}
