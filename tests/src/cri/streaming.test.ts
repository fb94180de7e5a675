/**
 * The CRI's streaming RPCs (Exec, Attach, PortForward) against a real
 * `podstage cri`: the URLs they return are driven by clients of other
 * implementations (spdy-transport for SPDY/3.1, ws for websocket v5), per
 * stage1 — with and without a terminal and stdin, terminal resize, exit codes,
 * output attach, and a port of the pod's localhost forwarded; and the
 * container's log reopened after the kubelet rotated it.
 */
import { existsSync, lstatSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import * as assert from 'uvu/assert';
import { rejection, startCriServer, type CriServer } from '../helpers/cri.js';
import { spdyPortForward, spdyRemoteCommand, tunneledPortForward, upgradeSocket, websocketRemoteCommand } from '../helpers/cri-streaming.js';
import { DEFAULT_IMAGE, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';
import { suite } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const t = suite<{ sb: Sandbox; cri: CriServer }>('cri streaming', {} as never);

t.before(async (ctx) => {
  ctx.sb = await sandbox();
  ctx.cri = await startCriServer(ctx.sb, join(ctx.sb.dir, 'config'));
});

t.after(async ({ sb, cri }) => {
  await cri?.stop();
  await sb.cleanup();
});

type Obj = Record<string, any>;

/** A running container that serves /www on port 8080 and prints a tick every 200 ms. */
async function startContainer(cri: CriServer, sb: Sandbox, stage1: string): Promise<{ id: string; cid: string }> {
  // A VM's localhost is inside the guest: port-forward reaches its apps at the pod's address.
  const listen = stage1 === 'kvm' ? '8080' : '127.0.0.1:8080';
  const config = { metadata: { name: `stream-${stage1}`, uid: `uid-stream-${stage1}`, namespace: 'default', attempt: 0 }, log_directory: join(sb.dir, 'logs', stage1) };
  const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });
  const script = `mkdir -p /www && echo served-by-${stage1} > /www/index.html && httpd -p ${listen} -h /www && i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done`;
  const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', {
    pod_sandbox_id: id, sandbox_config: config, config: { metadata: { name: 'main', attempt: 0 }, image: { image: DEFAULT_IMAGE }, command: ['sh', '-c', script], log_path: 'main.log' },
  });
  await cri.runtime('StartContainer', { container_id: cid });
  return { id, cid };
}

const execUrl = async (cri: CriServer, request: Obj) => (await cri.runtime<Obj>('Exec', { stdout: true, stderr: true, stdin: false, tty: false, ...request })).url as string;

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1}: Exec over SPDY and websocket, with and without a terminal and stdin; Attach; PortForward`, async ({ sb, cri }) => {
    if (stage1 === 'kvm' && !existsSync(join(REPO, 'build', 'guest', 'vmlinux'))) throw new Error('build/guest is missing: scripts/setup.sh builds the guest');
    const { id, cid } = await startContainer(cri, sb, stage1);

    // Pipes: stdout and stderr apart, the exit code in the final status.
    const url = await execUrl(cri, { container_id: cid, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/);
    const piped = await spdyRemoteCommand(url, { stdin: false, stdout: true, stderr: true, tty: false });
    assert.is(piped.protocol, 'v4.channel.k8s.io');
    assert.is(piped.stdout, 'out\n');
    assert.is(piped.stderr, 'err\n');
    assert.is(piped.status.reason, 'NonZeroExitCode');
    assert.is(piped.exitCode, 3);
    const reused = await upgradeSocket(url, ['v4.channel.k8s.io']);
    reused.socket.destroy();
    assert.is(reused.status, 404, 'a streaming URL is good for one session');

    const ok = await spdyRemoteCommand(await execUrl(cri, { container_id: cid, cmd: ['true'] }), { stdin: false, stdout: true, stderr: true, tty: false });
    assert.is(ok.status.status, 'Success');
    assert.is(ok.exitCode, 0);

    // stdin through a pipe: the command reads it to its end.
    const input = 'line one\nline two\n';
    const fed = await spdyRemoteCommand(await execUrl(cri, { container_id: cid, cmd: ['sh', '-c', 'wc -l; exit 0'], stdin: true }), { stdin: true, stdout: true, stderr: true, tty: false }, { stdin: input });
    assert.is(fed.stdout.trim(), '2', JSON.stringify(fed));
    assert.is(fed.exitCode, 0);

    // A terminal: its size at start, a resize later, typed input, the exit code.
    const tty = await spdyRemoteCommand(
      await execUrl(cri, { container_id: cid, cmd: ['sh', '-c', 'stty size; read line; stty size; echo got-$line; exit 4'], stdin: true, tty: true, stderr: false }),
      { stdin: true, stdout: true, stderr: false, tty: true },
      { sizes: [{ Width: 100, Height: 30 }, { Width: 120, Height: 40 }], resizeAfterMs: 500, stdin: 'typed\n', stdinAfter: '30 100', keepStdinOpen: true },
    );
    assert.match(tty.stdout, /^30 100\r\n/, `the first size, before the command ran: ${JSON.stringify(tty)}`);
    assert.match(tty.stdout, /40 120\r\n/, `the resize reached the terminal: ${JSON.stringify(tty.stdout)}`);
    assert.match(tty.stdout, /got-typed\r\n/, 'a terminal writes \\r\\n');
    assert.is(tty.exitCode, 4);
    const controlling = await spdyRemoteCommand(
      await execUrl(cri, { container_id: cid, cmd: ['sh', '-c', 'ps -o pid,sid,tty,comm | grep -w ps'], tty: true, stderr: false }),
      { stdin: false, stdout: true, stderr: false, tty: true }, { sizes: [{ Width: 80, Height: 24 }] },
    );
    assert.match(controlling.stdout, /^\s*(\d+)\s+\d+\s+(pts\/\d+|\d+,\d+)\s+ps/m, `the terminal is the command's controlling terminal: ${controlling.stdout}`);

    // websocket v5: stdin closed with the close signal, large output in order.
    const ws = await websocketRemoteCommand(await execUrl(cri, { container_id: cid, cmd: ['sh', '-c', 'cat; echo to-stderr >&2; head -c 1000000 /dev/zero | tr "\\0" a; exit 2'], stdin: true }), { stdin: 'from-websocket\n' });
    assert.is(ws.protocol, 'v5.channel.k8s.io');
    assert.is(ws.stdout, `from-websocket\n${'a'.repeat(1_000_000)}`);
    assert.is(ws.stderr, 'to-stderr\n');
    assert.is(ws.exitCode, 2);

    // ReopenContainerLog after the kubelet's rotation: the old file keeps what was written, a new one follows.
    const log = join(sb.dir, 'logs', stage1, 'main.log');
    await waitFor('ticks in the log', () => (existsSync(log) && readFileSync(log, 'utf8').includes('tick') ? true : undefined), 30_000);
    assert.ok(lstatSync(log).isFile(), 'conmon writes at the kubelet\'s path itself');
    renameSync(log, `${log}.1`);
    await cri.runtime('ReopenContainerLog', { container_id: cid });
    await waitFor('ticks in the new log', () => (existsSync(log) && readFileSync(log, 'utf8').includes('tick') ? true : undefined), 10_000);
    const ticks = (file: string) => [...readFileSync(file, 'utf8').matchAll(/ stdout F tick (\d+)$/gm)].map((m) => Number(m[1]));
    const lastOld = Math.max(...ticks(`${log}.1`)), firstNew = Math.min(...ticks(log));
    assert.ok(firstNew > lastOld, `the new log goes on where the rotated one ended (${lastOld} → ${firstNew})`);

    // Attach: the output from now on, until the container stops.
    const attachUrl = (await cri.runtime<Obj>('Attach', { container_id: cid, stdout: true, stderr: true })).url as string;
    const attached = spdyRemoteCommand(attachUrl, { stdin: false, stdout: true, stderr: true, tty: false });
    await new Promise((r) => setTimeout(r, 1500));

    // PortForward: a connection to the pod's port 8080.
    const pfUrl = (await cri.runtime<Obj>('PortForward', { pod_sandbox_id: id, port: [8080] })).url as string;
    const forwarded = await spdyPortForward(pfUrl, 8080, 'GET /index.html HTTP/1.0\r\n\r\n');
    assert.is(forwarded.error, '');
    assert.match(forwarded.data, /^HTTP\/1\.[01] 200 OK/);
    assert.match(forwarded.data, new RegExp(`served-by-${stage1}\\n$`));
    // kubectl port-forward over websockets (Kubernetes 1.30+): the same SPDY tunneled in a websocket.
    const tunneled = await tunneledPortForward((await cri.runtime<Obj>('PortForward', { pod_sandbox_id: id, port: [8080] })).url, 8080, 'GET /index.html HTTP/1.0\r\n\r\n');
    assert.equal([tunneled.protocol, tunneled.error], ['SPDY/3.1+portforward.k8s.io', '']);
    assert.match(tunneled.data, new RegExp(`^HTTP/1\\.[01] 200 OK[^]*served-by-${stage1}\\n$`));
    const closedPort = await spdyPortForward((await cri.runtime<Obj>('PortForward', { pod_sandbox_id: id, port: [] })).url, 8081, 'x');
    assert.match(closedPort.error, /^error forwarding port 8081 to pod /, 'a closed port is reported on the error stream');

    await cri.runtime('StopContainer', { container_id: cid, timeout: 0 });
    const att = await attached;
    assert.match(att.stdout, /^(tick \d+\n)+$/, 'whole lines of the running container');
    assert.ok(att.stdout.split('\n').length > 3, att.stdout);
    assert.is(att.status.status, 'Success', 'attach ends when the container does');

    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  });
}

/** A container created with stdin (and a terminal), which Attach feeds. */
async function interactiveContainer(cri: CriServer, id: string, config: Obj, name: string, script: string, stdio: Obj): Promise<string> {
  const { container_id: cid } = await cri.runtime<Obj>('CreateContainer', {
    pod_sandbox_id: id, sandbox_config: config,
    config: { metadata: { name, attempt: 0 }, image: { image: DEFAULT_IMAGE }, command: ['sh', '-c', script], log_path: `${name}.log`, ...stdio },
  });
  await cri.runtime('StartContainer', { container_id: cid });
  return cid;
}

async function exitCode(cri: CriServer, cid: string): Promise<number> {
  const s = await waitFor('the container to exit', async () => {
    const st = (await cri.runtime<Obj>('ContainerStatus', { container_id: cid })).status as Obj;
    return st.state === 'CONTAINER_EXITED' ? st : undefined;
  }, 20_000);
  return s.exit_code as number;
}

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1}: Attach to a container's stdin (stdin_once) and to its terminal`, async ({ sb, cri }) => {
    const logs = join(sb.dir, 'logs', `attach-${stage1}`);
    const config = { metadata: { name: `attach-${stage1}`, uid: `uid-attach-${stage1}`, namespace: 'default', attempt: 0 }, log_directory: logs };
    const { pod_sandbox_id: id } = await cri.runtime<Obj>('RunPodSandbox', { config, runtime_handler: stage1 });

    // stdin_once: the attached client's end of input is the container's end of file.
    const piped = await interactiveContainer(cri, id, config, 'piped', 'read a; echo got-$a; echo e-$a >&2; cat; echo eof; exit 6', { stdin: true, stdin_once: true });
    const url = (await cri.runtime<Obj>('Attach', { container_id: piped, stdin: true, stdout: true, stderr: true })).url as string;
    const fed = await spdyRemoteCommand(url, { stdin: true, stdout: true, stderr: true, tty: false }, { stdin: 'x\nthe rest\n' });
    assert.is(fed.stdout, 'got-x\nthe rest\neof\n', JSON.stringify(fed));
    assert.is(fed.stderr, 'e-x\n');
    assert.is(fed.status.status, 'Success', 'attach ends when the container does');
    assert.is(await exitCode(cri, piped), 6);
    assert.match(readFileSync(join(logs, 'piped.log'), 'utf8'), / stdout F got-x\n/, 'what the client saw is in the log too');

    // A terminal: the client's size, typed input echoed, \r\n, TERM, the exit code.
    const term = await interactiveContainer(cri, id, config, 'term', 'read line; stty size; echo got-$line $TERM; [ -t 0 ] && [ -t 1 ] && echo a-terminal; exit 7', { stdin: true, tty: true });
    const turl = (await cri.runtime<Obj>('Attach', { container_id: term, stdin: true, stdout: true, stderr: false, tty: true })).url as string;
    const typed = await spdyRemoteCommand(turl, { stdin: true, stdout: true, stderr: false, tty: true }, {
      sizes: [{ Width: 90, Height: 20 }, { Width: 100, Height: 30 }], resizeAfterMs: 500, stdin: 'typed\n', keepStdinOpen: true,
    });
    assert.match(typed.stdout, /typed\r\n/, `the terminal echoes what is typed: ${JSON.stringify(typed.stdout)}`);
    assert.match(typed.stdout, /30 100\r\n/, 'the client\'s size reached the terminal');
    assert.match(typed.stdout, /got-typed xterm\r\n/);
    assert.match(typed.stdout, /a-terminal\r\n/, 'stdin and stdout are the terminal');
    assert.is(await exitCode(cri, term), 7);

    await cri.runtime('StopPodSandbox', { pod_sandbox_id: id });
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
  });
}

t('errors: streams the CRI forbids, a container that is not running, stdin to attach, an unknown token', async ({ sb, cri }) => {
  const { id, cid } = await startContainer(cri, sb, 'runc');
  const bad = await rejection(cri.runtime('Exec', { container_id: cid, cmd: ['sh'], tty: true, stdin: true, stdout: true, stderr: true }));
  assert.is(bad.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(bad.details, 'tty and stderr cannot both be true');
  const none = await rejection(cri.runtime('Exec', { container_id: cid, cmd: ['sh'] }));
  assert.is(none.code, grpcStatus.INVALID_ARGUMENT);
  const attachStdin = await rejection(cri.runtime('Attach', { container_id: cid, stdin: true, stdout: true }));
  assert.is(attachStdin.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(attachStdin.details, 'created without stdin');
  const missing = await rejection(cri.runtime('Exec', { container_id: 'f00d', cmd: ['sh'], stdout: true }));
  assert.is(missing.code, grpcStatus.NOT_FOUND);
  const pf = await rejection(cri.runtime('PortForward', { pod_sandbox_id: id, port: [70000] }));
  assert.is(pf.code, grpcStatus.INVALID_ARGUMENT);

  const url = await execUrl(cri, { container_id: cid, cmd: ['true'] });
  const unknown = await upgradeSocket(url.replace(/\/exec\/.*$/, '/exec/not-a-token'), ['v4.channel.k8s.io']);
  unknown.socket.destroy();
  assert.is(unknown.status, 404);
  const noProtocol = await upgradeSocket(url, ['channel.k8s.io']);
  noProtocol.socket.destroy();
  assert.is(noProtocol.status, 403, 'protocols before v4 are not spoken');

  await cri.runtime('StopContainer', { container_id: cid, timeout: 0 });
  const stopped = await rejection(cri.runtime('Exec', { container_id: cid, cmd: ['sh'], stdout: true }));
  assert.is(stopped.code, grpcStatus.FAILED_PRECONDITION);
  await cri.runtime('RemovePodSandbox', { pod_sandbox_id: id });
});

t.run();
