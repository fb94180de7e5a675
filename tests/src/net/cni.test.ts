/**
 * Pod networking through CNI (Debian's plugins, real namespaces, bridge and
 * iptables), for host and runc (and kvm, whose VM joins through a mirrored tap): the default bridge network, pod to pod by IP,
 * pod to a host listener on the gateway, a forwarded host port, none and host,
 * bad configurations refused, and nothing left on the host after gc, also
 * after a kill -9. Traffic stays on loopback and on this test's own bridge.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, PODSTAGE, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods, status, type PodStatus } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';
import { writeTinyLayout } from '../helpers/oci-layout.js';
import { IPAM_DIR, links } from '../helpers/host-network.js';

const NETNS_DIR = '/run/podstage/netns';
const SERVER = 'mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www';

const iptablesSave = async () => `${(await execa('iptables-save')).stdout}\n${(await execa('iptables-save', ['-t', 'nat'])).stdout}`;

function requireTools(): void {
  for (const tool of ['/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/lib/cni/portmap', '/usr/lib/cni/loopback', '/usr/lib/cni/firewall']) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: apt-get install containernetworking-plugins (scripts/setup.sh does)`);
  }
}

/** Nothing of these pods is left: namespace file, veth, address reservation, iptables rule. */
async function assertNothingLeft(pods: PodStatus[], vethsBefore: number): Promise<void> {
  const rules = await iptablesSave();
  const reservations = existsSync(IPAM_DIR) ? readdirSync(IPAM_DIR).filter((f) => /^\d/.test(f)).map((f) => readFileSync(join(IPAM_DIR, f), 'utf8')) : [];
  for (const p of pods) {
    assert.not.ok(reservations.some((r) => r.includes(p.uuid)), `no address is still reserved for ${p.uuid}`);
    assert.not.ok(existsSync(join(NETNS_DIR, p.uuid)), `no network namespace left for ${p.uuid}`);
    assert.not.ok(rules.includes(p.uuid), `no iptables rule names pod ${p.uuid}`);
    for (const n of p.networks ?? []) {
      for (const cidr of n.ips) {
        const ip = cidr.split('/')[0] as string;
        assert.not.ok(existsSync(join(IPAM_DIR, ip)), `the address ${ip} is released`);
        assert.not.ok(new RegExp(`[ /]${ip.replaceAll('.', '\\.')}[/ ]`).test(rules), `no iptables rule for ${ip}`);
      }
    }
  }
  assert.is((await links()).split('\n').filter((l) => l.includes('veth')).length, vethsBefore, 'no veth left');
}

const t = suite<{ sb: Sandbox; config: string; veths: number }>('cni networking', {} as never);

t.before(async (ctx) => {
  requireTools();
  ctx.sb = await sandbox();
  ctx.config = join(ctx.sb.dir, 'config');
  ctx.veths = (await links()).split('\n').filter((l) => l.includes('veth')).length;
});

// The bridge, ip_forward and the plugins' base chains are put back as found by the last sandbox's cleanup.
t.after(({ sb }) => sb.cleanup());

const run = (ctx: { sb: Sandbox; config: string }, args: string[]) => ctx.sb.run([`--config=${ctx.config}`, 'run', ...args]);

for (const stage1 of ['runc', 'host']) {
  t(`${stage1}: pods on the default network (no --net, --net=default, --net=podstage) reach each other by IP, a host listener on the gateway, and a forwarded host port reaches a pod`, async (ctx) => {
    const hostPort = stage1 === 'runc' ? 18181 : 18182;
    const started = await run(ctx, ['-d', `--stage1-name=${stage1}`, `-p`, `127.0.0.1:${hostPort}:8080`, DEFAULT_IMAGE, '--', 'sh', '-c', SERVER]);
    assert.is(started.exitCode, 0, String(started.stderr));
    const uuid = String(started.stdout).trim();
    const server = await status(ctx.sb, uuid);
    const net = server.networks?.[0];
    assert.ok(net !== undefined && net.network === 'podstage' && net.ifname === 'eth0', JSON.stringify(server.networks));
    const ip = (net.ips[0] as string).split('/')[0] as string;
    assert.match(ip, /^10\.215\.\d+\.\d+$/);
    assert.ok(net.gateway !== undefined);

    // The server answers once httpd listens: the client retries briefly.
    const client = await run(ctx, [`--stage1-name=${stage1}`, '--net=default', DEFAULT_IMAGE, '--', 'sh', '-c', `for i in $(seq 50); do wget -qO- http://${ip}:8080/ && exit 0; sleep 0.1; done; exit 1`]);
    assert.is(client.exitCode, 0, String(client.stderr));
    assert.is(String(client.stdout).trim(), 'hello-from-pod');

    const listener: Server = createServer((_req, res) => res.end('hello-from-host'));
    await new Promise<void>((resolve) => listener.listen(0, net.gateway, resolve));
    try {
      const port = (listener.address() as { port: number }).port;
      const toHost = await run(ctx, [`--stage1-name=${stage1}`, '--net=podstage', DEFAULT_IMAGE, '--', 'wget', '-qO-', `http://${net.gateway}:${port}/`]);
      assert.is(String(toHost.stdout).trim(), 'hello-from-host', String(toHost.stderr));
    } finally {
      listener.close();
    }

    const forwarded = await fetch(`http://127.0.0.1:${hostPort}/`);
    assert.is((await forwarded.text()).trim(), 'hello-from-pod');

    const pods = await listPods(ctx.sb);
    assert.is((await ctx.sb.run(['stop', uuid])).exitCode, 0);
    assert.not.ok(existsSync(join(NETNS_DIR, uuid)), 'stop tears the network down');
    assert.is((await ctx.sb.run(['gc', '--grace-period=0s'])).exitCode, 0);
    await assertNothingLeft(pods, ctx.veths);
  });

  t(`${stage1}: the pod's hostname, resolv.conf and hosts are as asked, read-only in the app; on a CNI network the hosts file names the pod's address`, async (ctx) => {
    const r = await run(ctx, [`--stage1-name=${stage1}`, '--net=podstage', '--hostname=web', '--dns=10.215.0.1', '--dns=192.0.2.53', '--dns-search=example.test', '--dns-opt=ndots:2', '--dns-domain=example.test',
      '--hosts-entry=192.0.2.7=db.test', DEFAULT_IMAGE, '--', 'sh', '-c', 'hostname; cat /etc/hostname; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; echo x >> /etc/resolv.conf || echo read-only']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const [names, resolv, hosts, write] = String(r.stdout).split('---\n');
    assert.is(names, 'web\nweb\n');
    assert.is(resolv, 'nameserver 10.215.0.1\nnameserver 192.0.2.53\ndomain example.test\nsearch example.test\noptions ndots:2\n');
    assert.match(hosts ?? '', /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10\.215\.\d+\.\d+\tweb\n192\.0\.2\.7\tdb\.test\n$/);
    assert.is(write?.trim(), 'read-only');
    const own = await run(ctx, [`--stage1-name=${stage1}`, '--net=host', '--dns=host', DEFAULT_IMAGE, '--', 'sh', '-c', 'cat /etc/resolv.conf; hostname']);
    const ownLines = String(own.stdout).split('\n');
    assert.is(ownLines.slice(0, -1).join('\n'), readFileSync('/etc/resolv.conf', 'utf8').trimEnd(), "the host's resolv.conf");
    assert.match(ownLines.at(-1) ?? '', /^podstage-[0-9a-f-]{36}$/, 'the default host name');
    const bad = await run(ctx, [`--stage1-name=${stage1}`, '--dns=not-an-ip', DEFAULT_IMAGE, '--', 'true']);
    assert.is(bad.exitCode, 254);
    assert.match(String(bad.stderr), '--dns: expected an IP address or host, got "not-an-ip"');
  });

  t(`${stage1}: --net=none has only loopback; --net=host sees the host's interfaces`, async (ctx) => {
    const none = await run(ctx, [`--stage1-name=${stage1}`, '--net=none', DEFAULT_IMAGE, '--', 'sh', '-c', 'ls /sys/class/net']);
    assert.equal(String(none.stdout).trim().split(/\s+/), ['lo'], String(none.stderr));
    const host = await run(ctx, [`--stage1-name=${stage1}`, '--net=host', DEFAULT_IMAGE, '--', 'sh', '-c', 'ls /sys/class/net']);
    const hostLinks = (await execa('ls', ['/sys/class/net'])).stdout.split(/\s+/).sort();
    assert.equal(String(host.stdout).trim().split(/\s+/).sort(), hostLinks);
  });
}

t("fly: without --net the pod stays in the host's network namespace (fly's default, ABI 1)", async (ctx) => {
  const r = await run(ctx, ['--stage1-name=fly', DEFAULT_IMAGE, '--', 'readlink', '/proc/self/ns/net']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(String(r.stdout).trim(), (await execa('readlink', ['/proc/self/ns/net'])).stdout);
});

t('kvm: the VM is the pod on the default network (its NIC mirrors the pod\'s interface): a forwarded host port and another pod reach its server; nothing left after gc', async (ctx) => {
  if (!existsSync(join(REPO, 'build', 'guest', 'vmlinux'))) throw new Error('build/guest is missing: scripts/setup.sh builds the guest');
  const started = await run(ctx, ['-d', '--stage1-name=kvm', '--hostname=vm1', '-p', '127.0.0.1:18184:8080', DEFAULT_IMAGE, '--', 'sh', '-c', SERVER]);
  assert.is(started.exitCode, 0, String(started.stderr));
  const uuid = String(started.stdout).trim();
  const net = (await status(ctx.sb, uuid)).networks?.[0];
  const ip = (net?.ips[0] ?? '').split('/')[0] as string;
  assert.match(ip, /^10\.215\.\d+\.\d+$/);
  const client = await run(ctx, ['--stage1-name=runc', '--net=podstage', DEFAULT_IMAGE, '--', 'sh', '-c', `for i in $(seq 100); do wget -qO- http://${ip}:8080/ && exit 0; sleep 0.2; done; exit 1`]);
  assert.is(String(client.stdout).trim(), 'hello-from-pod', String(client.stderr));
  assert.is((await (await fetch('http://127.0.0.1:18184/')).text()).trim(), 'hello-from-pod');
  const inside = await ctx.sb.run(['enter', uuid, '--', 'sh', '-c', 'hostname; ip -o -4 addr show eth0']);
  assert.match(String(inside.stdout), new RegExp(`^vm1\\n.*inet ${ip.replaceAll('.', '\\.')}/24`), String(inside.stderr));
  const pods = await listPods(ctx.sb);
  assert.is((await ctx.sb.run(['stop', uuid])).exitCode, 0);
  assert.is((await ctx.sb.run(['gc', '--grace-period=0s'])).exitCode, 0);
  await assertNothingLeft(pods, ctx.veths);
});

t("rkt's --port: the port an image exposes (8080/tcp, named 8080-tcp) is forwarded from the host", async (ctx) => {
  // A busybox image whose config exposes 8080/tcp and serves on it.
  const layout = writeTinyLayout(join(ctx.sb.dir, 'exposing'), [[
    { path: 'bin', type: 'dir', mode: 0o755 }, { path: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755 },
    { path: 'bin/sh', type: 'symlink', linkname: 'busybox' }, { path: 'tmp', type: 'dir', mode: 0o1777 }, { path: 'etc', type: 'dir', mode: 0o755 },
  ]], { config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh', '-c', SERVER.replaceAll('httpd', '/bin/busybox httpd').replaceAll('mkdir', '/bin/busybox mkdir')], ExposedPorts: { '8080/tcp': {} } } } });
  assert.is((await ctx.sb.run(['fetch', '--name=test/exposing:1', `oci:${layout.dir}`])).exitCode, 0);
  const started = await run(ctx, ['-d', '--stage1-name=runc', '--net=podstage', '--port=8080-tcp:127.0.0.1:18185', 'test/exposing:1']);
  assert.is(started.exitCode, 0, String(started.stderr));
  const body = await waitFor('the forwarded port', async () => {
    try {
      return (await (await fetch('http://127.0.0.1:18185/')).text()).trim();
    } catch {
      return undefined;
    }
  });
  assert.is(body, 'hello-from-pod');
  assert.is((await ctx.sb.run(['stop', String(started.stdout).trim()])).exitCode, 0);
  assert.not.ok((await iptablesSave()).includes('18185'), 'the mapping goes with the pod');
});

t('a conflist with an unknown plugin, bad JSON or no plugins is refused, naming the file and field; no pod is written', async (ctx) => {
  const dir = join(ctx.config, 'net.d');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'odd.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'odd', plugins: [{ type: 'bridge' }, { type: 'no-such-plugin' }] }));
  writeFileSync(join(dir, 'broken.conflist'), '{ "cniVersion": "1.0.0", "name": ');
  writeFileSync(join(dir, 'empty.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'empty', plugins: [] }));
  const before = (await listPods(ctx.sb)).length;
  const cases: [string, RegExp][] = [
    ['odd', /odd\.conflist: field plugins\[1\]\.type: no CNI plugin "no-such-plugin"/],
    ['broken', /broken\.conflist: not a JSON network configuration list/],
    ['empty', /empty\.conflist: field plugins must NOT have fewer than 1 items/],
    ['nowhere', /--net=nowhere: no network of that name in .*net\.d or \/etc\/cni\/net\.d/],
  ];
  for (const [name, message] of cases) {
    const r = await run(ctx, ['--stage1-name=runc', `--net=${name}`, DEFAULT_IMAGE, '--', 'true']);
    assert.is(r.exitCode, 254, name);
    assert.match(String(r.stderr), message);
    assert.is(String(r.stderr).trim().split('\n').length <= 2, true, `one line (and a hint): ${String(r.stderr)}`);
  }
  const publish = await run(ctx, ['--stage1-name=runc', '--net=host', '-p', '8080:80', DEFAULT_IMAGE, '--', 'true']);
  assert.is(publish.exitCode, 254);
  assert.match(String(publish.stderr), '--publish/--port: ports are forwarded to a pod on a CNI network');
  const fly = await run(ctx, ['--stage1-name=fly', '--net=podstage', DEFAULT_IMAGE, '--', 'true']);
  assert.is(fly.exitCode, 254);
  assert.is((await listPods(ctx.sb)).length, before, 'no pod was written');
});

t("what a kill between writing the namespace's file and mounting it leaves (state recorded, a plain file) is collected by rm", async (ctx) => {
  const started = await run(ctx, ['-d', '--stage1-name=runc', DEFAULT_IMAGE, '--', 'sleep', '1000']);
  assert.is(started.exitCode, 0, String(started.stderr));
  const running = String(started.stdout).trim();
  const state = JSON.parse(readFileSync(join(ctx.sb.dir, 'pods', 'run', running, 'net', 'attachments.json'), 'utf8')) as Record<string, unknown>;
  assert.is((await ctx.sb.run(['stop', running])).exitCode, 0);
  const prepared = await ctx.sb.run([`--config=${ctx.config}`, 'prepare', '--stage1-name=runc', DEFAULT_IMAGE, '--', 'true']);
  assert.is(prepared.exitCode, 0, String(prepared.stderr));
  const uuid = String(prepared.stdout).trim();
  const netns = join(NETNS_DIR, uuid);
  mkdirSync(join(ctx.sb.dir, 'pods', 'prepared', uuid, 'net'));
  writeFileSync(join(ctx.sb.dir, 'pods', 'prepared', uuid, 'net', 'attachments.json'), JSON.stringify({ ...state, uuid, netns }));
  writeFileSync(netns, '');
  const pods = await listPods(ctx.sb);
  const rm = await ctx.sb.run(['rm', uuid]);
  assert.is(rm.exitCode, 0, String(rm.stderr));
  assert.not.ok(existsSync(netns), 'the file is removed');
  assert.is((await ctx.sb.run(['gc', '--grace-period=0s'])).exitCode, 0);
  await assertNothingLeft(pods, ctx.veths);
});

t("status --check-net runs the plugins' CHECK: ok while the pod's network is in place, the network and plugin named once its interface is gone; stop and gc still leave nothing (the bridge plugin's NAT rule included)", async (ctx) => {
  const started = await run(ctx, ['-d', '--stage1-name=runc', DEFAULT_IMAGE, '--', 'sleep', '1000']);
  assert.is(started.exitCode, 0, String(started.stderr));
  const uuid = String(started.stdout).trim();
  const ok = await ctx.sb.run(['status', '--check-net', uuid]);
  assert.is(ok.exitCode, 0, String(ok.stderr));
  assert.match(String(ok.stdout), /^net-check=ok$/m);
  const pods = await listPods(ctx.sb);
  // What an app given CAP_NET_ADMIN can do: delete the pod's interface (the veth goes, both ends).
  await execa('nsenter', [`--net=${join(NETNS_DIR, uuid)}`, 'ip', 'link', 'del', 'eth0']);
  const broken = await ctx.sb.run(['status', '--check-net', uuid]);
  assert.is(broken.exitCode, 1);
  assert.match(String(broken.stderr), /network podstage, plugin bridge, CHECK: /);
  assert.is((await ctx.sb.run(['stop', uuid])).exitCode, 0);
  assert.is((await ctx.sb.run(['gc', '--grace-period=0s'])).exitCode, 0);
  await assertNothingLeft(pods, ctx.veths);
  const none = await run(ctx, ['-d', '--stage1-name=runc', '--net=none', DEFAULT_IMAGE, '--', 'sleep', '1000']);
  const noneUuid = String(none.stdout).trim();
  assert.match(String((await ctx.sb.run(['status', '--check-net', noneUuid])).stdout), /^net-check=none$/m);
  assert.is((await ctx.sb.run(['stop', noneUuid])).exitCode, 0);
});

t('kill -9 of podstage run while it attaches or runs the pod: stop and gc leave no namespace, address or rule', async (ctx) => {
  for (const delayMs of [30, 120, 250, 600]) {
    const child = execa(PODSTAGE, ['--dir', ctx.sb.dir, `--config=${ctx.config}`, 'run', '--stage1-name=runc', '--net=podstage', '-p', '127.0.0.1:18183:8080', DEFAULT_IMAGE, '--', 'sleep', '1000'], { reject: false, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    child.kill('SIGKILL');
    await child;
    const pods = await listPods(ctx.sb);
    for (const p of pods.filter((x) => x.state === 'running')) assert.is((await ctx.sb.run(['stop', '--force', p.uuid])).exitCode, 0);
    const gc = await ctx.sb.run(['gc', '--grace-period=0s', '--expire-prepared=0s']);
    assert.is(gc.exitCode, 0, String(gc.stderr));
    await assertNothingLeft(pods, ctx.veths);
    const rules = await iptablesSave();
    assert.not.ok(rules.includes('18183'), `killed after ${delayMs} ms: no port mapping rule left`);
  }
});

t.run();
