import { existsSync } from 'node:fs';
import { CNI_PATH } from '@podstage/net';
import type { Rpc } from './types.js';

/** RuntimeReady always (this server answers); NetworkReady once the CNI plugins a default network needs are installed. */
export const Status: Rpc = async () => {
  const bridge = CNI_PATH.some((dir) => existsSync(`${dir}/bridge`));
  return {
    status: {
      conditions: [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        bridge
          ? { type: 'NetworkReady', status: true, reason: '', message: '' }
          : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `no CNI bridge plugin in ${CNI_PATH.join(':')}: apt-get install containernetworking-plugins` },
      ],
    },
    info: {},
  };
};
