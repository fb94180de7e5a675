/**
 * rkt's read-only API service (v1alpha PublicAPI) against a real
 * `podstage api-service` process, with a client built from the project's own
 * api.proto: info, pods (filters, manifest), images, events as pods start and
 * stop, and logs (tail, follow). It reads while a pod holds its lock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, status as grpcStatus, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { publicApi } from '@podstage/api-service';
import { execa, type ResultPromise } from 'execa';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { suite } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

type Obj = Record<string, any>;

const t = suite<{ sb: Sandbox; server: ResultPromise; client: Client }>('api service', {} as never);

t.before(async (ctx) => {
  ctx.sb = await sandbox();
  const socket = join(ctx.sb.dir, 'api.sock');
  ctx.server = execa(PODSTAGE, ['--dir', ctx.sb.dir, 'api-service', `--listen=unix://${socket}`], { reject: false, stdin: 'ignore' });
  await waitFor('the API socket', () => (existsSync(socket) ? true : undefined));
  const PublicAPI = publicApi();
  ctx.client = new PublicAPI(`unix://${socket}`, credentials.createInsecure());
});

t.after(async ({ sb, server, client }) => {
  client?.close();
  server?.kill('SIGTERM');
  await server;
  await sb.cleanup();
});

const call = <T = Obj>(client: Client, method: string, request: object = {}) => new Promise<T>((resolve, reject) => {
  (client as unknown as Record<string, (r: object, cb: (e: ServiceError | null, res: T) => void) => void>)[method]!(request, (e, res) => (e ? reject(e) : resolve(res)));
});

/** Collect a server stream's responses until `done` says so (then cancel it). */
function collect(stream: ClientReadableStream<Obj>): { items: Obj[]; until(what: string, done: (items: Obj[]) => boolean, timeoutMs?: number): Promise<Obj[]> } {
  const items: Obj[] = [];
  stream.on('data', (d: Obj) => items.push(d));
  stream.on('error', () => undefined);
  return {
    items,
    until: async (what, done, timeoutMs = 30_000) => {
      await waitFor(what, () => (done(items) ? true : undefined), timeoutMs);
      stream.cancel();
      return items;
    },
  };
}

const stream = (client: Client, method: string, request: object) =>
  (client as unknown as Record<string, (r: object) => ClientReadableStream<Obj>>)[method]!(request);

t('GetInfo names the API version and the data directory', async ({ sb, client }) => {
  const { info } = await call(client, 'GetInfo');
  assert.is(info.api_version, 'v1alpha');
  assert.match(info.rkt_version, /^podstage /);
  assert.is(info.global_flags.dir, sb.dir);
});

t('pods: events as a pod starts and ends, ListPods with filters and InspectPod with its manifest, logs tailed and followed', async ({ sb, client }) => {
  const events = collect(stream(client, 'ListenEvents', { filter: { types: [], ids: [], names: [], since_time: 0, until_time: 0 } }));
  const started = await sb.run(['run', '-d', '--stage1-name=runc', '--net=none', DEFAULT_IMAGE, '--name=talker', '--', 'sh', '-c', 'echo one; echo two; exec sleep 1000']);
  assert.is(started.exitCode, 0, String(started.stderr));
  const uuid = String(started.stdout).trim();

  // The pod holds its lock: reading must not need it.
  const { pods } = await call(client, 'ListPods', { filters: [{ states: ['POD_STATE_RUNNING'], app_names: ['talker'] }], detail: false });
  assert.equal(pods.map((p: Obj) => [p.id, p.state, p.apps[0].name, p.apps[0].state]), [[uuid, 'POD_STATE_RUNNING', 'talker', 'APP_STATE_RUNNING']]);
  assert.is(pods[0].cgroup, `/podstage/${uuid}`);
  assert.ok(Number(pods[0].created_at) > 0);
  assert.equal((await call(client, 'ListPods', { filters: [{ states: ['POD_STATE_EXITED'], ids: [uuid] }] })).pods, []);
  const { pod } = await call(client, 'InspectPod', { id: uuid });
  assert.equal(JSON.parse(Buffer.from(pod.manifest).toString()).apps.map((a: Obj) => a.name), ['talker']);

  const tail = collect(stream(client, 'GetLogs', { pod_id: uuid, app_name: 'talker', lines: 1, follow: false }));
  const lines = await tail.until('the last log line', (items) => items.flatMap((i) => i.lines).length >= 1);
  assert.equal(lines.flatMap((i) => i.lines), ['two']);

  const follow = collect(stream(client, 'GetLogs', { pod_id: uuid, app_name: '', lines: 0, follow: true }));
  await waitFor('both lines', () => (follow.items.flatMap((i) => i.lines).length >= 2 ? true : undefined));
  assert.is((await sb.run(['stop', uuid])).exitCode, 0);
  const seen = await events.until('the pod to exit', (items) => items.flatMap((i) => i.events).some((e: Obj) => e.type === 'EVENT_TYPE_POD_EXITED' && e.id === uuid));
  const types = seen.flatMap((i) => i.events).filter((e: Obj) => e.id === uuid).map((e: Obj) => e.type);
  for (const type of ['EVENT_TYPE_POD_PREPARED', 'EVENT_TYPE_POD_STARTED', 'EVENT_TYPE_APP_STARTED', 'EVENT_TYPE_APP_EXITED', 'EVENT_TYPE_POD_EXITED']) {
    assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  }
  follow.until('nothing', () => true).catch(() => undefined);
  assert.equal(follow.items.flatMap((i) => i.lines).slice(0, 2), ['one', 'two']);

  const failure = (id: string) => call(client, 'InspectPod', { id }).then(() => undefined, (e: ServiceError) => e);
  assert.is((await failure('00000000-0000-4000-8000-000000000000'))?.code, grpcStatus.NOT_FOUND);
  assert.is((await failure('not a uuid'))?.code, grpcStatus.INVALID_ARGUMENT);
});

t('images: ListImages with filters, InspectImage by id with its manifest', async ({ client }) => {
  const { images } = await call(client, 'ListImages', { filters: [{ prefixes: ['podstage.io/'] }] });
  assert.equal(images.map((i: Obj) => [i.name, i.version]), [['podstage.io/default', 'latest']]);
  assert.equal((await call(client, 'ListImages', { filters: [{ base_names: ['nothing'] }] })).images, []);
  const { image } = await call(client, 'InspectImage', { id: images[0].id });
  assert.is(JSON.parse(Buffer.from(image.manifest).toString()).schemaVersion, 2);
  assert.is(image.base_format.type, 'IMAGE_TYPE_OCI');
});

t.run();
