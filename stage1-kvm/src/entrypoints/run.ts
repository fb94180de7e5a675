/**
 * A kvm pod under conmon (driver.ts): QEMU is the sandbox, each app a
 * `kvm-io follow` relaying the app in the guest. Nothing of podstage stays
 * resident beside QEMU and the conmons.
 */
import { readPodManifest, readPodOptions, type RunOptions } from '@podstage/contract';
import { runMonitoredPod, startMonitoredPod } from '@podstage/stage1-common/monitored';
import { kvmDriver } from '../driver.js';
import { checkKvmSupport } from '../translate.js';

const checkRun = (o: RunOptions) => checkKvmSupport(readPodManifest(o.podDir), { ...readPodOptions(o.podDir), net: o.net, mutable: o.mutable, insecureOptions: o.insecureOptions });

export async function run(o: RunOptions): Promise<never> {
  checkRun(o);
  return runMonitoredPod(o, kvmDriver, 'kvm');
}

export async function start(o: RunOptions): Promise<number> {
  checkRun(o);
  return (await startMonitoredPod(o, kvmDriver)).monitorPid;
}
