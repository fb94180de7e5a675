/** @podstage/net without root: conflist checks, the default network's subnet choice, -p parsing. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { cniNetworks } from '@podstage/contract';
import { defaultConfList, findNetwork, freeSubnet, loadConfList } from '@podstage/net';
import { imagePort, manifestPortMappings } from '@podstage/runtime';
import { test } from '../helpers/suite.js';

let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'podstage-net-'));
  mkdirSync(join(dir, 'net.d'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, body: unknown) => {
  const file = join(dir, 'net.d', `${name}.conflist`);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
};

test('--net values: host, none and default are not CNI networks; anything else is a list of names', () => {
  assert.equal(cniNetworks('host'), []);
  assert.equal(cniNetworks('default'), []);
  assert.equal(cniNetworks('podstage'), ['podstage']);
  assert.equal(cniNetworks('a,b'), ['a', 'b']);
});

test('conflists: found by their name, checked field by field, every plugin looked up', () => {
  const good = write('lan', { cniVersion: '1.0.0', name: 'lan', plugins: [{ type: 'bridge', bridge: 'x0' }, { type: 'portmap', capabilities: { portMappings: true } }] });
  assert.is(findNetwork(dir, 'lan').file, good);
  assert.is(loadConfList(good).plugins.length, 2);
  const cases: [unknown, string][] = [
    [{ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'nope' }] }, 'field plugins[0].type: no CNI plugin "nope"'],
    [{ cniVersion: '1.0', name: 'a', plugins: [{ type: 'bridge' }] }, 'field cniVersion must match pattern'],
    [{ cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, 'field name must have required property'],
    [{ cniVersion: '1.0.0', name: 'a', plugins: [{ bridge: 'x' }] }, 'field plugins[0].type must have required property'],
    [{ cniVersion: '1.0.0', name: 'a', plugins: [] }, 'field plugins must NOT have fewer than 1 items'],
    ['{"cniVersion": ', 'not a JSON network configuration list'],
  ];
  for (const [body, message] of cases) {
    const file = write('case', body);
    assert.throws(() => loadConfList(file), (e: Error) => e.message.startsWith(`${file}: `) && e.message.includes(message), message);
  }
  assert.throws(() => findNetwork(dir, 'absent'), /--net=absent: no network of that name/);
});

test("the default network: a bridge with the first /24 of 10.215.0.0/16 that none of the host's routes overlaps", () => {
  const ip = (s: string) => s.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
  assert.is(freeSubnet([]), '10.215.0.0/24');
  assert.is(freeSubnet([[ip('10.215.0.0'), ip('255.255.255.0')]]), '10.215.1.0/24');
  assert.is(freeSubnet([[ip('10.215.0.0'), ip('255.255.254.0')], [ip('10.215.2.0'), ip('255.255.255.0')]]), '10.215.3.0/24');
  const list = defaultConfList('10.215.0.0/24') as { name: string; plugins: { type: string }[] };
  assert.is(list.name, 'podstage');
  assert.equal(list.plugins.map((p) => p.type), ['bridge', 'portmap', 'firewall']);
});

test("rkt's --port: an exposed port names a port an app declares (an image's 8080/tcp is 8080-tcp) and becomes a port mapping", () => {
  assert.equal(imagePort('8080/tcp'), { name: '8080-tcp', protocol: 'tcp', port: 8080 });
  assert.equal(imagePort('53/udp'), { name: '53-udp', protocol: 'udp', port: 53 });
  assert.equal(imagePort('80'), { name: '80-tcp', protocol: 'tcp', port: 80 });
  assert.is(imagePort('80-90/tcp'), undefined);
  const app = (ports: { name: string; protocol: 'tcp' | 'udp'; port: number }[]) => ({ name: 'web', image: { id: 'sha256:x' }, app: { exec: ['/x'], user: '0', group: '0', ports } });
  const m = { apiVersion: '0.1', kind: 'PodManifest', apps: [app([{ name: '8080-tcp', protocol: 'tcp', port: 8080 }])], ports: [{ name: '8080-tcp', hostPort: 18080, hostIP: '127.0.0.1' }] } as never;
  assert.equal(manifestPortMappings(m), [{ hostPort: 18080, containerPort: 8080, protocol: 'tcp', hostIP: '127.0.0.1' }]);
  const unknown = { apiVersion: '0.1', kind: 'PodManifest', apps: [app([{ name: 'http', protocol: 'tcp', port: 80 }])], ports: [{ name: 'https', hostPort: 443 }] } as never;
  assert.throws(() => manifestPortMappings(unknown), /--port=https: no app of the pod declares a port named https \(declared: http\)/);
});

test.run();
