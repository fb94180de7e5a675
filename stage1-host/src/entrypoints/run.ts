import { readPodManifest, type RunOptions } from '@podstage/contract';
import { runMonitoredPod, startMonitoredPod } from '@podstage/stage1-common/monitored';
import { hostDriver } from '../driver.js';
import { checkHostSupport } from '../translate.js';

export async function run(o: RunOptions): Promise<never> {
  checkHostSupport(readPodManifest(o.podDir), o);
  return runMonitoredPod(o, hostDriver(o.debug), 'host');
}

export async function start(o: RunOptions): Promise<number> {
  checkHostSupport(readPodManifest(o.podDir), o);
  return (await startMonitoredPod(o, hostDriver(o.debug))).monitorPid;
}
