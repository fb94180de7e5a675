import type { GcOptions } from '@podstage/contract';

/** fly's mounts live in the app's private mount namespace and die with it: nothing on the host to undo. */
export async function gc(_o: GcOptions): Promise<void> {}
