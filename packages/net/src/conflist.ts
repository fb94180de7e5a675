/**
 * CNI network configuration lists (spec 1.0, `.conflist`): found by name in
 * podstage's `net.d` and, when asked, the host's `/etc/cni/net.d`; checked
 * with a schema before anything runs, every error naming the file and field.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract';
import { Ajv, type ErrorObject } from 'ajv';
import { CNI_PATH, findPlugin } from './plugins.js';

export interface PluginConfig {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: PluginConfig[];
  /** Where it was read from, for errors. */
  file: string;
}

/** The host's own CNI configuration directory, used for `--net=NAME` only when podstage's has no such network. */
export const HOST_CNI_CONFIG_DIR = '/etc/cni/net.d';
export const netConfigDir = (configDir: string) => join(configDir, 'net.d');

const SCHEMA = {
  type: 'object',
  required: ['cniVersion', 'name', 'plugins'],
  properties: {
    cniVersion: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$' },
    name: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' },
    disableCheck: { type: 'boolean' },
    plugins: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['type'],
        properties: { type: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' }, capabilities: { type: 'object', additionalProperties: { type: 'boolean' } } },
      },
    },
  },
} as const;

let validate: ReturnType<Ajv['compile']> | undefined;

function fieldOf(e: ErrorObject): string {
  const path = e.instancePath.replace(/^\//, '').replace(/\/([0-9]+)/g, '[$1]').replaceAll('/', '.');
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : '';
  return [path, missing].filter(Boolean).join(path && missing ? '.' : '') || '(top level)';
}

/** Parse and check one conflist file: schema, then every plugin's binary. */
export function loadConfList(file: string): NetworkConfigList {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_NETWORK_CONFIG', `${file}: not a JSON network configuration list: ${(err as Error).message}`);
  }
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(SCHEMA);
  if (!validate(doc)) {
    const e = validate.errors?.[0] as ErrorObject;
    throw new PodstageError('ERR_PODSTAGE_NETWORK_CONFIG', `${file}: field ${fieldOf(e)} ${e.message ?? 'is invalid'}`);
  }
  const list = { ...(doc as Omit<NetworkConfigList, 'file'>), file };
  list.plugins.forEach((p, i) => {
    if (findPlugin(p.type) === undefined) {
      throw new PodstageError('ERR_PODSTAGE_NETWORK_CONFIG', `${file}: field plugins[${i}].type: no CNI plugin ${JSON.stringify(p.type)} in ${CNI_PATH.join(' or ')}`, {
        hint: 'install it (scripts/setup.sh installs containernetworking-plugins) or fix the type',
      });
    }
  });
  return list;
}

/** The conflist whose `name` is `name`: podstage's net.d first, then the host's CNI directory. */
export function findNetwork(configDir: string, name: string): NetworkConfigList {
  for (const dir of [netConfigDir(configDir), HOST_CNI_CONFIG_DIR]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.conflist')).sort()) {
      const file = join(dir, f);
      let declared: unknown;
      try {
        declared = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
      } catch {
        declared = f === `${name}.conflist` ? name : undefined;
      }
      if (declared === name) return loadConfList(file);
    }
  }
  throw new PodstageError('ERR_PODSTAGE_NETWORK_CONFIG', `--net=${name}: no network of that name in ${netConfigDir(configDir)} or ${HOST_CNI_CONFIG_DIR}`, {
    hint: `write ${join(netConfigDir(configDir), `${name}.conflist`)} (a CNI 1.0 network configuration list), or use --net=default, host or none`,
  });
}
