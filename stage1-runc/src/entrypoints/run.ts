import { readPodManifest, readPodOptions, type RunOptions } from '@podstage/contract';
import { runPodProcess } from '../pod-process.js';
import { checkRuncSupport } from '../translate.js';

export async function run(o: RunOptions): Promise<never> {
  checkRuncSupport(readPodManifest(o.podDir), { ...readPodOptions(o.podDir), net: o.net, mutable: o.mutable, insecureOptions: o.insecureOptions });
  return runPodProcess(o);
}
