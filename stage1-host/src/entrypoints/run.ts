import { readPodManifest, type RunOptions } from '@podstage/contract';
import { runMonitoredPod } from '@podstage/stage1-common/monitored';
import { hostDriver } from '../driver.js';
import { checkHostSupport } from '../translate.js';

export async function run(o: RunOptions): Promise<never> {
  checkHostSupport(readPodManifest(o.podDir), o);
  return runMonitoredPod(o, hostDriver(o.debug), 'host');
}
