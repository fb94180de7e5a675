import { isAbsolute } from 'node:path';
import { PodstageError } from '@podstage/contract';

/** process.execve (Node ≥ 23.11): replaces this process, stdio kept. */
export function execve(file: string, argv: string[], env: Record<string, string>): never {
  if (process.execve === undefined) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `process.execve is missing: podstage needs Node 24 (running ${process.version})`);
  }
  // Node aborts the whole process (SIGABRT) when execve fails; a relative path would (no PATH search).
  // No access() probe: in an app's context a seccomp filter may already refuse it.
  if (!isAbsolute(file)) throw new PodstageError('ERR_PODSTAGE_HOST', `execve \`${file}\`: expected an absolute path (execve does not search PATH)`);
  process.execve(file, argv, env);
  throw new PodstageError('ERR_PODSTAGE_SYSCALL', `execve \`${file}\` returned`);
}
