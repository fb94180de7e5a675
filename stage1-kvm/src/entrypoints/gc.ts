import { readdirSync } from 'node:fs';
import { pod, type GcOptions } from '@podstage/contract';
import { unmountAppRootfs } from '@podstage/stage1-common';

/** Unmount what a pod whose process died left on the host: the apps' overlays. */
export async function gc(o: GcOptions): Promise<void> {
  let apps: string[] = [];
  try {
    apps = readdirSync(pod.appsDir(o.podDir));
  } catch {
    // nothing laid out
  }
  for (const app of apps) unmountAppRootfs(o.podDir, app);
}
