/**
 * JSON Schemas (draft 2020-12) for the pod manifest. `x-expect` states, in
 * words, what a field must be: validation errors quote it.
 */
import { ISOLATOR } from './isolators.js';
import { POD_MANIFEST_API_VERSION, POD_MANIFEST_KIND } from './types.js';

const acName = {
  type: 'string',
  pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
  maxLength: 63,
  'x-expect': 'must be lower-case letters, digits and single dashes, starting and ending with a letter or digit (e.g. "my-app")',
};
const acIdentifier = {
  type: 'string',
  pattern: '^[a-z0-9]+([-._~/][a-z0-9]+)*$',
  maxLength: 253,
  'x-expect': 'must be lower-case letters, digits and the separators - . _ ~ / (e.g. "podstage.io/stage1")',
};
const absolutePath = {
  type: 'string',
  pattern: '^/[^\\u0000]*$',
  maxLength: 4096,
  'x-expect': 'must be an absolute path',
};
const nonEmptyString = { type: 'string', minLength: 1, 'x-expect': 'must be a non-empty string' };
const quantity = {
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$',
  'x-expect': 'must be a quantity like "128Mi", "1G" or "500m"',
};
const annotations = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'value'],
    additionalProperties: false,
    properties: { name: acIdentifier, value: { type: 'string' } },
  },
};
const resourceValue = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { request: quantity, limit: quantity },
  'x-expect': 'must be an object with "request" and/or "limit" quantities',
};
const capabilitySet = {
  type: 'object',
  required: ['set'],
  additionalProperties: false,
  properties: {
    set: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^CAP_[A-Z_]+$', 'x-expect': 'must be a capability name like "CAP_NET_ADMIN"' },
    },
  },
};
const seccompSet = {
  type: 'object',
  required: ['set'],
  additionalProperties: false,
  properties: {
    set: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'string',
        pattern: '^(@[a-z0-9./-]+|[a-z0-9_]+)$',
        'x-expect': 'must be a syscall name like "mkdir" or a group like "@podstage/default-allowlist"',
      },
    },
    errno: { type: 'string', pattern: '^E[A-Z0-9]+$', 'x-expect': 'must be an errno name like "EPERM"' },
  },
};

const valueByIsolator: Record<string, object> = {
  [ISOLATOR.cpu]: resourceValue,
  [ISOLATOR.memory]: resourceValue,
  [ISOLATOR.capsRetain]: capabilitySet,
  [ISOLATOR.capsRemove]: capabilitySet,
  [ISOLATOR.seccompRetain]: seccompSet,
  [ISOLATOR.seccompRemove]: seccompSet,
  [ISOLATOR.noNewPrivileges]: { type: 'boolean' },
  [ISOLATOR.oomScoreAdj]: { type: 'integer', minimum: -1000, maximum: 1000, 'x-expect': 'must be an integer from -1000 to 1000' },
};

const isolators = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'value'],
    additionalProperties: false,
    properties: {
      name: { enum: Object.keys(valueByIsolator), 'x-expect': `must be one of ${Object.keys(valueByIsolator).join(', ')}` },
      value: {},
    },
    allOf: Object.entries(valueByIsolator).map(([name, value]) => ({
      if: { properties: { name: { const: name } } },
      then: { properties: { value } },
    })),
  },
};

const app = {
  type: 'object',
  required: ['exec', 'user', 'group'],
  additionalProperties: false,
  properties: {
    exec: { type: 'array', minItems: 1, items: { type: 'string' }, prefixItems: [nonEmptyString], 'x-expect': 'must be a non-empty array of strings' },
    user: nonEmptyString,
    group: nonEmptyString,
    supplementaryGIDs: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 4294967294 } },
    workingDirectory: absolutePath,
    environment: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'value'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-expect': 'must be a variable name like "PATH"' },
          value: { type: 'string' },
        },
      },
    },
    mountPoints: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'path'],
        additionalProperties: false,
        properties: { name: acName, path: absolutePath, readOnly: { type: 'boolean' } },
      },
    },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'protocol', 'port'],
        additionalProperties: false,
        properties: {
          name: acName,
          protocol: { enum: ['tcp', 'udp'], 'x-expect': 'must be "tcp" or "udp"' },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          count: { type: 'integer', minimum: 1 },
          socketActivated: { type: 'boolean' },
        },
      },
    },
    isolators,
  },
};

export const podManifestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://podstage.io/schemas/pod-manifest.json',
  type: 'object',
  required: ['apiVersion', 'kind', 'apps'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: POD_MANIFEST_API_VERSION, 'x-expect': `must be "${POD_MANIFEST_API_VERSION}"` },
    kind: { const: POD_MANIFEST_KIND, 'x-expect': `must be "${POD_MANIFEST_KIND}"` },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'image', 'app'],
        additionalProperties: false,
        properties: {
          name: acName,
          image: {
            type: 'object',
            required: ['id'],
            additionalProperties: false,
            properties: {
              id: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$', 'x-expect': 'must be "sha256:" and 64 lower-case hex digits' },
              name: nonEmptyString,
            },
          },
          app,
          mounts: {
            type: 'array',
            items: {
              type: 'object',
              required: ['volume', 'path'],
              additionalProperties: false,
              properties: { volume: acName, path: absolutePath, readOnly: { type: 'boolean' } },
            },
          },
          readOnlyRootFS: { type: 'boolean' },
          annotations,
        },
      },
    },
    volumes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'kind'],
        additionalProperties: false,
        properties: {
          name: acName,
          kind: { enum: ['host', 'empty'], 'x-expect': 'must be "host" or "empty"' },
          source: absolutePath,
          readOnly: { type: 'boolean' },
          recursive: { type: 'boolean' },
          propagation: { enum: ['private', 'rslave', 'rshared'], 'x-expect': 'must be "private", "rslave" or "rshared"' },
          mode: { type: 'string', pattern: '^0?[0-7]{3,4}$', 'x-expect': 'must be an octal mode like "0755"' },
          uid: { type: 'integer', minimum: 0, maximum: 4294967294 },
          gid: { type: 'integer', minimum: 0, maximum: 4294967294 },
        },
        if: { properties: { kind: { const: 'host' } } },
        then: { required: ['source'] },
        else: { not: { required: ['source'] }, 'x-expect': 'must not have "source" unless kind is "host"' },
      },
    },
    isolators,
    annotations,
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'hostPort'],
        additionalProperties: false,
        properties: {
          name: acName,
          hostPort: { type: 'integer', minimum: 1, maximum: 65535 },
          hostIP: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;
