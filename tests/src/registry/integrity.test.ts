/**
 * What goes wrong on the wire: tampered blobs, dropped connections, servers
 * that ignore Range, schema 1 manifests, blob redirects and Basic auth.
 * Faults come from a loopback proxy in front of the real registry, or from
 * a tiny fake registry where the real one cannot misbehave on purpose.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { ImageStore } from '@podstage/images';
import { CredentialStore, parseAuthFile } from '@podstage/images/registry';
import { RegistryClient } from '@podstage/images/registry';
import { pullImage } from '@podstage/images/registry';
import { parseDockerReference } from '@podstage/images/registry';
import { tempDir } from '../helpers/fs-snapshot.js';
import { blobOf, gzipLayer, randomLayer, startRegistry, startRegistryProxy, writeImageLayout, type Blob, type TestImage, type TestRegistry } from '../helpers/registry.js';

let base = '';
let registry: TestRegistry;
let big: TestImage;
let storeCount = 0;

const freshStore = () => new ImageStore(join(base, `data-${(storeCount += 1)}`));

function storeIsEmpty(store: ImageStore): void {
  assert.equal(readdirSync(store.blobsDir), [], 'no blobs');
  assert.equal(readdirSync(store.metaDir), [], 'no image records');
  assert.equal(readdirSync(store.refsDir), [], 'no names');
  assert.equal(readdirSync(store.tempRoot), [], 'no staging left behind');
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

type ManifestJson = { config: { digest: string; size: number }; layers: { size: number }[] };
type ConfigJson = { rootfs: { diff_ids: string[] } };

/** Pushes `image` with its config and manifest changed by `edit` (a hostile publisher); returns the new manifest digest. */
async function pushEditedImage(
  repoAndTag: string,
  image: TestImage,
  edit: { manifest?: (manifest: ManifestJson) => void; config?: (config: ConfigJson) => void },
): Promise<string> {
  const client = new RegistryClient();
  const ref = parseDockerReference(`${registry.host}/${repoAndTag}`);
  for (const blob of [image.config, ...image.layers]) await client.pushBlob(ref, blob.bytes);
  const manifest = JSON.parse(image.manifest.bytes.toString('utf8')) as ManifestJson;
  if (edit.config !== undefined) {
    const config = JSON.parse(image.config.bytes.toString('utf8')) as ConfigJson;
    edit.config(config);
    manifest.config = { ...manifest.config, ...(await client.pushBlob(ref, Buffer.from(JSON.stringify(config)))) };
  }
  edit.manifest?.(manifest);
  const bytes = Buffer.from(JSON.stringify(manifest));
  await client.pushManifest(ref, ref.tag ?? 'latest', bytes, OCI_MANIFEST);
  return blobOf(bytes).digest;
}

test.before(async () => {
  base = tempDir('registry-integrity');
  registry = await startRegistry();
  big = writeImageLayout(join(base, 'big'), [randomLayer(3 * 1024 * 1024, 'big/blob'), gzipLayer([{ path: 'small', content: 'small\n' }])]);
  await registry.pushLayout(join(base, 'big'), 'podstage/big:v1');
});

test.after(async () => {
  await registry?.stop();
  rmSync(base, { recursive: true, force: true });
});

test('a layer whose bytes do not match its digest is refused and nothing is stored', async () => {
  const bigLayer = big.layers[0]?.digest ?? '';
  const proxy = await startRegistryProxy(registry.host, { tamper: bigLayer });
  try {
    const store = freshStore();
    const err = await rejection(pullImage(store, `${proxy.host}/podstage/big:v1`));
    assert.is(err.code, 'ERR_PODSTAGE_DIGEST');
    assert.match(err.message, bigLayer);
    assert.match(err.message, 'content digest is sha256:');
    storeIsEmpty(store);
  } finally {
    await proxy.stop();
  }
});

test('a descriptor with the wrong size for a blob already in the store is refused', async () => {
  const store = freshStore();
  const intact = await pullImage(store, `${registry.host}/podstage/big:v1`);
  const small = big.layers[1] as { digest: string; size: number };
  const wrongLayer = await pushEditedImage('podstage/wrong-size:layer', big, { manifest: (m) => void ((m.layers[1] as { size: number }).size += 1) });
  const wrongConfig = await pushEditedImage('podstage/wrong-size:config', big, { manifest: (m) => void (m.config.size -= 1) });
  const twoSizes = await pushEditedImage('podstage/wrong-size:twice', big, { manifest: (m) => void m.layers.push({ ...m.layers[1], size: small.size + 1 }) });
  const blobsBefore = readdirSync(store.blobsDir).sort();

  const layerErr = await rejection(pullImage(store, `${registry.host}/podstage/wrong-size:layer`));
  assert.is(layerErr.code, 'ERR_PODSTAGE_DIGEST');
  assert.match(layerErr.message, `layer blob ${small.digest}`);
  assert.match(layerErr.message, `size is ${small.size} bytes, expected ${small.size + 1} bytes`);
  const configErr = await rejection(pullImage(store, `${registry.host}/podstage/wrong-size:config`));
  assert.is(configErr.code, 'ERR_PODSTAGE_DIGEST');
  assert.match(configErr.message, `config blob ${big.config.digest}`);
  const twiceErr = await rejection(pullImage(store, `${registry.host}/podstage/wrong-size:twice`));
  assert.is(twiceErr.code, 'ERR_PODSTAGE_DIGEST');
  assert.match(twiceErr.message, `layer ${small.digest} is listed with sizes ${small.size} and ${small.size + 1}`);

  assert.equal(store.list().map((r) => r.id), [intact.id], 'no record for either manifest');
  assert.equal(readdirSync(store.blobsDir).sort(), blobsBefore, 'neither manifest blob stored');
  assert.not.ok([wrongLayer, wrongConfig, twoSizes].some((digest) => store.hasBlob(digest)));
  assert.equal(readdirSync(store.tempRoot), []);
});

test('layers that do not match the config\'s rootfs.diff_ids are refused and nothing is stored', async () => {
  const [first, second] = big.layers as [Blob, Blob];
  const diffIds = (JSON.parse(big.config.bytes.toString('utf8')) as ConfigJson).rootfs.diff_ids;
  await pushEditedImage('podstage/wrong-diff-ids:v1', big, { config: (c) => c.rootfs.diff_ids.reverse() });
  const store = freshStore();
  const err = await rejection(pullImage(store, `${registry.host}/podstage/wrong-diff-ids:v1`));
  assert.is(err.code, 'ERR_PODSTAGE_DIGEST');
  assert.match(err.message, `layer blob ${first.digest} of docker://${registry.host}/podstage/wrong-diff-ids:v1 (layers[0])`);
  assert.match(err.message, `uncompressed digest is ${diffIds[0]}, expected rootfs.diff_ids[0] ${diffIds[1]}`);
  storeIsEmpty(store);

  // Layers already in the store are checked too; a diff_id per layer is required.
  await pushEditedImage('podstage/wrong-diff-ids:short', big, { config: (c) => c.rootfs.diff_ids.pop() });
  const intact = await pullImage(store, `${registry.host}/podstage/big:v1`);
  const blobsBefore = readdirSync(store.blobsDir).sort();
  assert.match((await rejection(pullImage(store, `${registry.host}/podstage/wrong-diff-ids:v1`))).message, `expected rootfs.diff_ids[0] ${diffIds[1]}`);
  const short = await rejection(pullImage(store, `${registry.host}/podstage/wrong-diff-ids:short`));
  assert.is(short.code, 'ERR_PODSTAGE_IMAGE');
  assert.match(short.message, '1 rootfs.diff_ids, expected one per layer of the manifest (2)');
  assert.ok(store.hasBlob(second.digest));
  assert.equal(store.list().map((r) => r.id), [intact.id]);
  assert.equal(readdirSync(store.blobsDir).sort(), blobsBefore);
  assert.equal(readdirSync(store.tempRoot), []);
});

test('a dropped connection is resumed with a Range request, continuing the same hash', async () => {
  const bigLayer = big.layers[0];
  const proxy = await startRegistryProxy(registry.host, { cut: { digest: bigLayer?.digest ?? '', afterBytes: 1024 * 1024 } });
  try {
    const store = freshStore();
    const notes: string[] = [];
    const record = await pullImage(store, `${proxy.host}/podstage/big:v1`, { debug: (m) => notes.push(m) });
    assert.is(record.id, big.manifest.digest);
    const blobGets = proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${bigLayer?.digest}`));
    assert.is(blobGets.length, 2, JSON.stringify(proxy.requests));
    assert.is(blobGets[0]?.range, undefined);
    // The resume starts where the client's bytes ended: at most where the proxy cut
    // (bytes in flight when the socket was destroyed may be lost), never at zero.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(blobGets[1]?.range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 1024 * 1024, `resumed at ${blobGets[1]?.range}`);
    assert.ok(notes.some((n) => n.includes('resuming with a Range request')), notes.join('\n'));
    assert.ok(store.hasBlob(bigLayer?.digest ?? ''));
  } finally {
    await proxy.stop();
  }
});

test('a server that ignores Range makes the download start over', async () => {
  const bigLayer = big.layers[0];
  const proxy = await startRegistryProxy(registry.host, { cut: { digest: bigLayer?.digest ?? '', afterBytes: 512 * 1024 }, ignoreRange: true });
  try {
    const store = freshStore();
    const notes: string[] = [];
    const record = await pullImage(store, `${proxy.host}/podstage/big:v1`, { debug: (m) => notes.push(m) });
    assert.is(record.id, big.manifest.digest);
    const blobGets = proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${bigLayer?.digest}`));
    assert.is(blobGets.length, 3, JSON.stringify(blobGets));
    assert.ok(notes.some((n) => n.includes('ignored the Range request') && n.includes('from the start')), notes.join('\n'));
  } finally {
    await proxy.stop();
  }
});

// ---- a fake registry for what the real one will not do ----

interface FakeRegistry {
  host: string;
  server: Server;
  authorizations: (string | undefined)[];
}

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

test('a Docker schema 1 manifest is refused clearly', async () => {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
    res.end(JSON.stringify({ schemaVersion: 1, name: 'old/app', tag: 'v1', fsLayers: [], history: [] }));
  });
  const host = await listenOn(server);
  try {
    const err = await rejection(pullImage(freshStore(), `${host}/old/app:v1`));
    assert.is(err.code, 'ERR_PODSTAGE_UNSUPPORTED');
    assert.match(err.message, 'Docker schema 1 manifest, expected an OCI or Docker schema 2 manifest');
    assert.match(err.message, `docker://${host}/old/app:v1`);
  } finally {
    await stopServer(server);
  }
});

test('a manifest that does not match Docker-Content-Digest is refused', async () => {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': big.manifest.digest });
    res.end(Buffer.concat([big.manifest.bytes, Buffer.from(' ')]));
  });
  const host = await listenOn(server);
  try {
    const err = await rejection(pullImage(freshStore(), `${host}/podstage/big:v1`));
    assert.is(err.code, 'ERR_PODSTAGE_DIGEST');
    assert.match(err.message, `expected ${big.manifest.digest}`);
  } finally {
    await stopServer(server);
  }
});

test('Basic auth, and blob redirects to another host that never see the credentials', async () => {
  const layer = gzipLayer([{ path: 'hello', content: 'redirected\n' }]);
  const image = writeImageLayout(join(base, 'fake'), [layer]);
  const blobs = new Map([image.config, ...image.layers].map((b) => [b.digest, b]));
  const storageAuthorizations: (string | undefined)[] = [];
  const storage = createServer((req, res) => {
    storageAuthorizations.push(req.headers.authorization);
    const blob = blobs.get(decodeURIComponent((req.url ?? '').slice(1).split('?')[0] ?? ''));
    if (blob === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': blob.size }).end(blob.bytes);
  });
  const storageHost = await listenOn(storage);
  const expected = `Basic ${Buffer.from('basic-user:basic-pass').toString('base64')}`;
  const fake: FakeRegistry = { host: '', server: createServer(), authorizations: [] };
  fake.server.on('request', (req, res) => {
    fake.authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== expected) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
    const url = req.url ?? '';
    if (url.endsWith('/manifests/v1')) {
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': image.manifest.digest }).end(image.manifest.bytes);
    }
    const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url)?.[1];
    if (blob !== undefined) return void res.writeHead(307, { location: `http://${storageHost}/${blob}?signature=xyz` }).end();
    res.writeHead(404).end();
  });
  fake.host = await listenOn(fake.server);
  try {
    const credentials = new CredentialStore([parseAuthFile(JSON.stringify({ auths: { [fake.host]: { username: 'basic-user', password: 'basic-pass' } } }), 'inline.json')]);
    const store = freshStore();
    const record = await pullImage(store, `${fake.host}/team/app:v1`, { client: new RegistryClient({ credentials }) });
    assert.is(record.id, image.manifest.digest);
    assert.is(fake.authorizations[0], undefined, 'the first request is anonymous');
    assert.ok(fake.authorizations.slice(1).every((a) => a === expected));
    assert.ok(storageAuthorizations.length >= 2);
    assert.ok(storageAuthorizations.every((a) => a === undefined), 'storage got no credentials');

    const anonymous = await rejection(pullImage(freshStore(), `${fake.host}/team/app:v1`, { credentials: new CredentialStore() }));
    assert.match(anonymous.message, 'HTTP Basic authentication');
  } finally {
    await stopServer(fake.server);
    await stopServer(storage);
  }
});

test('a self-signed HTTPS registry needs insecureOptions `tls`; the error names the certificate problem', async () => {
  const key = join(base, 'tls.key');
  const cert = join(base, 'tls.crt');
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1']);
  const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(big.manifest.bytes);
  });
  const host = await listenOn(server);
  try {
    const ref = parseDockerReference(`${host}/podstage/big:v1`);
    const refused = await rejection(new RegistryClient().resolveManifest(ref));
    assert.is(refused.code, 'ERR_PODSTAGE_REGISTRY');
    assert.match(refused.message, /HTTPS: DEPTH_ZERO_SELF_SIGNED_CERT, then HTTP: /);
    const resolved = await new RegistryClient({ insecureOptions: ['tls'] }).resolveManifest(ref);
    assert.is(resolved.digest, big.manifest.digest);
  } finally {
    await stopServer(server);
  }
});

test('fetchBlobToStore skips blobs already in the store', async () => {
  const client = new RegistryClient();
  const ref = parseDockerReference(`${registry.host}/podstage/big:v1`);
  const resolved = await client.resolveManifest(ref);
  const small = big.layers[1];
  if (small === undefined) throw new Error('test image has two layers');
  const store = freshStore();
  const descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: small.digest, size: small.size };
  const progress: number[] = [];
  const first = await client.fetchBlobToStore(store, resolved.endpoint, descriptor, (bytes) => progress.push(bytes));
  assert.equal(first, { digest: small.digest, size: small.size, skipped: false });
  assert.is(progress.at(-1), small.size);
  assert.is((await client.fetchBlobToStore(store, resolved.endpoint, descriptor)).skipped, true);
  const wrongSize = await rejection(client.fetchBlobToStore(store, resolved.endpoint, { ...descriptor, size: small.size + 1 }));
  assert.is(wrongSize.code, 'ERR_PODSTAGE_DIGEST');
  assert.equal(blobOf(small.bytes).digest, small.digest);
});

test.run();
