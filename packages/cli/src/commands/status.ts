import { setTimeout as sleep } from 'node:timers/promises';
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir, parseDuration } from '../cli/context.js';
import { parseFormat, printJson } from '../cli/output.js';
import { findPod, podInfo, type PodInfo } from '@podstage/runtime/status';

const ACTIVE = new Set(['embryo', 'preparing', 'prepared', 'running']);

export const command: Command = {
  name: 'status',
  summary: "Show a pod's state, pid and apps' exit codes.",
  usage: 'status [--wait] [--wait-timeout=DURATION] [--check-net] [--format=table|json|json-pretty] UUID',
  options: {
    wait: { type: 'boolean', description: 'wait until the pod has exited' },
    'wait-timeout': { type: 'string', valueName: 'DURATION', description: 'give up waiting after DURATION (exit 1), e.g. 30s' },
    format: { type: 'string', valueName: 'FORMAT', description: 'table (key=value lines), json or json-pretty' },
    'check-net': { type: 'boolean', description: "run the CNI plugins' CHECK on a running pod's networks (net-check=ok, or the error)" },
  },
  async run({ global, values, positionals }) {
    if (positionals.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', 'status takes exactly one pod UUID');
    const format = parseFormat(values.format);
    const dir = dataDir(global);
    const uuid = findPod(dir, positionals[0] as string).uuid;
    const timeoutS = typeof values['wait-timeout'] === 'string' ? parseDuration('--wait-timeout', values['wait-timeout']) : Infinity;
    const deadline = Date.now() + timeoutS * 1000;
    let info: PodInfo = podInfo(findPod(dir, uuid));
    while ((values.wait === true || values['wait-timeout'] !== undefined) && ACTIVE.has(info.state)) {
      if (Date.now() > deadline) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${uuid} still ${info.state} after ${values['wait-timeout']}`);
      await sleep(100);
      info = podInfo(findPod(dir, uuid));
    }
    // --check-net: CNI CHECK throws (exit 1, the network and plugin named) when something is wrong.
    let networkCheck: string | undefined;
    if (values['check-net'] === true) {
      const { checkPodNetwork } = await import('@podstage/runtime');
      networkCheck = (await checkPodNetwork(dir, uuid)).length > 0 ? 'ok' : 'none';
    }
    if (format !== 'table') printJson(networkCheck === undefined ? info : { ...info, networkCheck }, format);
    else {
      const lines = [`state=${info.state}`];
      if (info.stage1) lines.push(`stage1=${info.stage1}`);
      for (const [k, v] of Object.entries(info.stage1Info ?? {})) lines.push(`stage1-${k}=${v}`);
      if (info.createdAt) lines.push(`created=${info.createdAt}`);
      if (info.startedAt) lines.push(`started=${info.startedAt}`);
      if (info.pid !== undefined) lines.push(`pid=${info.pid}`);
      if (info.monitorGone) lines.push('monitor=gone');
      for (const n of info.networks ?? []) lines.push(`net-${n.network}=${n.ips.join(',')}`);
      if (networkCheck !== undefined) lines.push(`net-check=${networkCheck}`);
      lines.push(`exited=${!ACTIVE.has(info.state)}`);
      for (const a of info.apps) lines.push(`app-${a.name}=${a.exitCode ?? '-'}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  },
};
