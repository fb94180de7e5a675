import { createRequire } from 'node:module';
import { POD_MANIFEST_API_VERSION } from '@podstage/contract';
import type { ApiContext } from '../context.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** podstage's version in rkt_version, the pod manifest's appc version, the API's, and the serving process's flags. */
export async function GetInfo(ctx: ApiContext) {
  return {
    info: {
      rkt_version: `podstage ${version}`, appc_version: POD_MANIFEST_API_VERSION, api_version: 'v1alpha',
      global_flags: { dir: ctx.dataDir, system_config_dir: ctx.configDir, local_config_dir: ctx.configDir, user_config_dir: '', insecure_flags: ctx.insecureOptions.join(','), trust_keys_from_https: false },
    },
  };
}
