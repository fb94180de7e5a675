import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import {
  effectiveCapabilities, expandInsecureOptions, parsePodManifest, parseQuantity, DEFAULT_CAPABILITIES, type PodManifest,
} from '@podstage/contract';

const ID = `sha256:${'a'.repeat(64)}`;
function pod(patch: (m: PodManifest & Record<string, unknown>) => void = () => {}): unknown {
  const m = {
    apiVersion: 'podstage.io/v1alpha1',
    kind: 'PodManifest',
    apps: [{ name: 'web', image: { id: ID, name: 'podstage.io/default:latest' }, app: { exec: ['/bin/sh'], user: '0', group: '0' } }],
  } as PodManifest & Record<string, unknown>;
  patch(m);
  return m;
}

function rejects(m: unknown, message: string) {
  try {
    parsePodManifest(m);
  } catch (err) {
    assert.is((err as Error).message, `pod manifest: ${message}`);
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_MANIFEST');
    return;
  }
  assert.unreachable(`accepted a manifest that should fail with: ${message}`);
}

test('a complete manifest is accepted', () => {
  const m = parsePodManifest(pod((m) => {
    m.volumes = [{ name: 'data', kind: 'host', source: '/srv/data', readOnly: true }, { name: 'scratch', kind: 'empty', mode: '0700', uid: 1000, gid: 1000 }];
    m.apps[0]!.mounts = [{ volume: 'data', path: '/data' }, { volume: 'scratch', path: '/scratch' }];
    m.apps[0]!.app = {
      exec: ['/bin/sh', '-c', 'echo hi'], user: 'podstage', group: 'podstage', supplementaryGIDs: [100], workingDirectory: '/tmp',
      environment: [{ name: 'A_B', value: '1' }],
      mountPoints: [{ name: 'data', path: '/data', readOnly: true }],
      ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
      isolators: [
        { name: 'resource/memory', value: { limit: '128Mi' } },
        { name: 'resource/cpu', value: { request: '250m', limit: '1' } },
        { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_NET_RAW'] } },
        { name: 'os/linux/seccomp-remove-set', value: { set: ['mkdir'], errno: 'EPERM' } },
        { name: 'os/linux/no-new-privileges', value: true },
        { name: 'os/linux/oom-score-adj', value: 100 },
      ],
    };
    m.annotations = [{ name: 'podstage.io/stage1', value: 'fly' }];
    m.ports = [{ name: 'http', hostPort: 8080 }];
  }));
  assert.is(m.apps[0]!.app.exec[2], 'echo hi');
});

test('an empty sandbox (no apps) is a valid manifest', () => {
  parsePodManifest(pod((m) => { m.apps = []; }));
});

test('errors name the JSON path and the expectation', () => {
  rejects(pod((m) => { m.apps[0]!.app.exec = []; }), 'apps[0].app.exec: must be a non-empty array');
  rejects(pod((m) => { m.apps[0]!.app.exec = ['']; }), 'apps[0].app.exec[0]: must be a non-empty string, got ""');
  rejects(pod((m) => { m.apps[0]!.name = 'Web_1'; }), 'apps[0].name: must be lower-case letters, digits and single dashes, starting and ending with a letter or digit (e.g. "my-app"), got "Web_1"');
  rejects(pod((m) => { m.apps[0]!.image.id = 'sha256:xyz'; }), 'apps[0].image.id: must be "sha256:" and 64 lower-case hex digits, got "sha256:xyz"');
  rejects(pod((m) => { m.apiVersion = 'v2' as never; }), 'apiVersion: must be "podstage.io/v1alpha1", got "v2"');
  rejects(pod((m) => { m.extra = 1; }), '(root): unknown field "extra"');
  rejects(pod((m) => { delete (m.apps[0]!.app as Partial<PodManifest['apps'][0]['app']>).user; }), 'apps[0].app.user: is required');
  rejects(pod((m) => { m.apps[0]!.app.workingDirectory = 'tmp'; }), 'apps[0].app.workingDirectory: must be an absolute path, got "tmp"');
  rejects(pod((m) => { m.apps[0]!.app.environment = [{ name: '1X', value: '' }]; }), 'apps[0].app.environment[0].name: must be a variable name like "PATH", got "1X"');
});

test('isolator values are checked per isolator', () => {
  rejects(pod((m) => { m.apps[0]!.app.isolators = [{ name: 'resource/memory', value: { limit: 'lots' } }]; }),
    'apps[0].app.isolators[0].value.limit: must be a quantity like "128Mi", "1G" or "500m", got "lots"');
  rejects(pod((m) => { m.isolators = [{ name: 'os/linux/oom-score-adj', value: 5000 }]; }),
    'isolators[0].value: must be an integer from -1000 to 1000');
  rejects(pod((m) => { m.isolators = [{ name: 'os/linux/no-new-privileges', value: 'yes' }]; }), 'isolators[0].value: must be boolean, got "yes"');
  rejects(pod((m) => { m.isolators = [{ name: 'resource/disk', value: {} }]; }), 'isolators[0].name: must be one of resource/cpu, resource/memory, os/linux/capabilities-retain-set, os/linux/capabilities-remove-set, os/linux/seccomp-retain-set, os/linux/seccomp-remove-set, os/linux/no-new-privileges, os/linux/oom-score-adj, got "resource/disk"');
  rejects(pod((m) => { m.isolators = [{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_FLY'] } }]; }),
    'isolators[0].value.set[0]: unknown capability "CAP_FLY"');
  rejects(pod((m) => { m.isolators = [{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_KILL'] } }, { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_KILL'] } }]; }),
    'isolators: capabilities-retain-set and capabilities-remove-set cannot both be given');
});

test('cross-field rules: volumes and names', () => {
  rejects(pod((m) => { m.apps[0]!.mounts = [{ volume: 'nope', path: '/x' }]; }), 'apps[0].mounts[0].volume: no volume named "nope" in volumes');
  rejects(pod((m) => { m.apps.push({ ...m.apps[0]! }); }), 'apps[1].name: app "web" is given twice');
  rejects(pod((m) => { m.volumes = [{ name: 'v', kind: 'host' }]; }), 'volumes[0].source: is required');
  rejects(pod((m) => { m.volumes = [{ name: 'v', kind: 'empty', source: '/x' }]; }), 'volumes[0]: must not have "source" unless kind is "host"');
});

test('JSON text that does not parse is refused with the file named', () => {
  try {
    parsePodManifest('{"apps": [', '/tmp/pod.json');
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /^\/tmp\/pod.json: not valid JSON/);
  }
});

test('quantities and capabilities', () => {
  assert.is(parseQuantity('x', '128Mi'), 128 * 1024 * 1024);
  assert.is(parseQuantity('x', '500m'), 0.5);
  assert.is(parseQuantity('x', '1G'), 1e9);
  assert.throws(() => parseQuantity('x', '1 G'), /x: must be a quantity/);
  assert.equal(effectiveCapabilities(undefined, undefined), [...DEFAULT_CAPABILITIES]);
  assert.equal(effectiveCapabilities(['CAP_KILL'], undefined), ['CAP_KILL']);
  assert.not.ok(effectiveCapabilities(undefined, ['CAP_NET_RAW']).includes('CAP_NET_RAW'));
  assert.is(effectiveCapabilities(undefined, undefined, true).length, 41);
});

test('--insecure-options values are validated and expanded', () => {
  assert.equal([...expandInsecureOptions(['image,seccomp'])].sort(), ['image', 'seccomp']);
  assert.equal([...expandInsecureOptions(['all-run'])].sort(), ['capabilities', 'paths', 'seccomp']);
  assert.throws(() => expandInsecureOptions(['everything']), /--insecure-options: unknown value "everything"/);
});

test.run();
