/**
 * The app's seccomp filter: the shared profile (default allowlist, or the
 * app's retain/remove set), compiled before any isolation step and installed
 * by becomeApp at the last moment (call this before chroot: it loads the binding). --insecure-options=seccomp turns it off.
 */
import {
  effectiveIsolators, ISOLATOR, isPodstageError, PodstageError, type EffectiveIsolators, type Isolator, type PodManifest, type RuntimeApp,
} from '@podstage/contract';
import { buildProfile, compileProfile, installSeccompFilter, loadSeccompBinding } from '@podstage/seccomp';

export function seccompInstaller(iso: EffectiveIsolators, insecureOptions: readonly string[]): (() => void) | undefined {
  const profile = buildProfile(iso, { disabled: insecureOptions.includes('seccomp') });
  if (profile === undefined) return undefined;
  const program = compileProfile(profile);
  loadSeccompBinding();
  return () => installSeccompFilter(program);
}

const isSeccomp = (i: Isolator) => i.name === ISOLATOR.seccompRetain || i.name === ISOLATOR.seccompRemove;

/** The field of the seccomp isolator that applies to the app: its own, else the pod's. */
function seccompField(m: PodManifest, app: RuntimeApp): string {
  const own = (app.app.isolators ?? []).findLastIndex(isSeccomp);
  if (own >= 0) return `apps[${app.name}].app.isolators[${own}]`;
  const pods = (m.isolators ?? []).findLastIndex(isSeccomp);
  return pods >= 0 ? `isolators[${pods}]` : `apps[${app.name}]`;
}

/**
 * Every app's seccomp set builds (known syscall and errno names, the exec minimum): for a
 * stage1's check, so a bad set is refused before the pod is written. The error names the field.
 */
export function checkSeccompIsolators(m: PodManifest): void {
  for (const app of m.apps) {
    try {
      buildProfile(effectiveIsolators(m.isolators, app.app.isolators), { disabled: false });
    } catch (err) {
      if (!isPodstageError(err)) throw err;
      const field = seccompField(m, app);
      throw new PodstageError(err.code, `${field}: ${err.message}`, { field, ...(err.hint === undefined ? {} : { hint: err.hint }) });
    }
  }
}
