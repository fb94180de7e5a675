import { PodstageError } from '@podstage/contract';

/** process.execve (Node ≥ 23.11): replaces this process, stdio kept. */
export function execve(file: string, argv: string[], env: Record<string, string>): never {
  if (process.execve === undefined) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `process.execve is missing: podstage needs Node 24 (running ${process.version})`);
  }
  process.execve(file, argv, env);
  throw new PodstageError('ERR_PODSTAGE_SYSCALL', `execve \`${file}\` returned`);
}
