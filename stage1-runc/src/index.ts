/** stage1 runc: a pod is OCI runtime-spec bundles run by runc under conmon — a sandbox holding the namespaces, one container per app. */
import { readFileSync } from 'node:fs';
import { readPodManifest, readPodOptions, type RunOptions, type Stage1Implementation, type Stage1Manifest } from '@podstage/contract';
import { monitoredEntrypoints, runMonitoredPod, startMonitoredPod } from '@podstage/stage1-common/monitored';
import { runcDriver } from './driver.js';
import { enter } from './entrypoints/enter.js';
import { gc } from './entrypoints/gc.js';
import { checkRuncSupport } from './translate.js';

export const manifest = JSON.parse(readFileSync(new URL('../stage1.json', import.meta.url), 'utf8')) as Stage1Manifest;

const checkRun = (o: RunOptions) => checkRuncSupport(readPodManifest(o.podDir), { ...readPodOptions(o.podDir), net: o.net, mutable: o.mutable, insecureOptions: o.insecureOptions });

async function run(o: RunOptions): Promise<never> {
  checkRun(o);
  return runMonitoredPod(o, runcDriver, 'runc');
}

async function start(o: RunOptions): Promise<number> {
  checkRun(o);
  return (await startMonitoredPod(o, runcDriver)).monitorPid;
}

export const stage1: Stage1Implementation = {
  manifest, check: checkRuncSupport, run, start, gc, enter, ...monitoredEntrypoints(runcDriver),
};
export default stage1;
