/**
 * The app's seccomp filter: the shared profile (default allowlist, or the
 * app's retain/remove set), compiled before any isolation step and installed
 * by becomeApp at the last moment (call this before chroot: it loads the binding). --insecure-options=seccomp turns it off.
 */
import type { EffectiveIsolators } from '@podstage/contract';
import { buildProfile, compileProfile, installSeccompFilter, loadSeccompBinding } from '@podstage/seccomp';

export function seccompInstaller(iso: EffectiveIsolators, insecureOptions: readonly string[]): (() => void) | undefined {
  const profile = buildProfile(iso, { disabled: insecureOptions.includes('seccomp') });
  if (profile === undefined) return undefined;
  const program = compileProfile(profile);
  loadSeccompBinding();
  return () => installSeccompFilter(program);
}
