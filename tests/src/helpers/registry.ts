/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution
 * 2.8) on a loopback port with filesystem storage in a temp dir, optionally
 * behind token auth served by a small JWT issuer written here. Images go in
 * with `skopeo copy`. Also: test image layouts (random layers, shared base
 * layers, multi-platform indexes) and a fault-injecting proxy.
 */
import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { execa, type ResultPromise } from 'execa';
import { tempDir } from './fs-snapshot.js';
import { rawTar, type RawEntry } from './tar-writer.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
const INSTALL_HINT = 'install the registry test tools: `apt-get install docker-registry skopeo openssl` (scripts/setup.sh installs them)';
export const TOKEN_USER = 'podstage';
export const TOKEN_PASSWORD = 'secret';
/** The OAuth2 refresh token the issuer takes (an identity token, as a credential helper hands the kubelet). */
export const TOKEN_REFRESH = 'podstage-refresh-token';
const TOKEN_SERVICE = 'podstage-test-registry';
const TOKEN_ISSUER = 'podstage-test-token-issuer';

export function requireRegistryTools(): void {
  for (const tool of [REGISTRY_BIN, '/usr/bin/skopeo', '/usr/bin/openssl']) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: ${INSTALL_HINT}`);
  }
}

// ---- processes started here die with the test process ----

const livePids = new Set<number>();
let exitHookInstalled = false;
function trackPid(pid: number): void {
  livePids.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of livePids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---- token server ----

interface TokenIssuer {
  realm: string;
  certPath: string;
  /** Every token request: whether it carried valid credentials, and the scopes asked. */
  requests: { authenticated: boolean; scopes: string[] }[];
  stop(): Promise<void>;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function certificateDer(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** `repository:NAME:ACTIONS` → the `access` claim entry distribution expects; everything asked is granted. */
function accessClaim(scopes: string[]): { type: string; name: string; actions: string[] }[] {
  return scopes.flatMap((scope) => {
    const match = /^([a-z]+):(.+):([a-z*,]+)$/.exec(scope);
    return match === null ? [] : [{ type: match[1] as string, name: match[2] as string, actions: (match[3] as string).split(',') }];
  });
}

function issueJwt(key: KeyObject, certB64: string, scopes: string[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certB64] };
  const claims = {
    iss: TOKEN_ISSUER,
    sub: TOKEN_USER,
    aud: TOKEN_SERVICE,
    exp: now + 300,
    nbf: now - 30,
    iat: now,
    jti: randomBytes(8).toString('hex'),
    access: accessClaim(scopes),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
}

async function startTokenIssuer(dir: string): Promise<TokenIssuer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  try {
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=podstage-test-token-issuer']);
  } catch (err) {
    throw new Error(`generating the token signing certificate with openssl failed (${(err as Error).message}): ${INSTALL_HINT}`);
  }
  const key = createPrivateKey(readFileSync(keyPath));
  const certB64 = certificateDer(readFileSync(certPath, 'utf8'));
  const expected = `Basic ${Buffer.from(`${TOKEN_USER}:${TOKEN_PASSWORD}`).toString('base64')}`;
  const requests: TokenIssuer['requests'] = [];
  const answer = (res: ServerResponse, authenticated: boolean, scopes: string[]) => {
    requests.push({ authenticated, scopes });
    if (!authenticated) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="podstage-test"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'credentials required' }] }));
      return;
    }
    const token = issueJwt(key, certB64, scopes);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  };
  const scopesOf = (params: URLSearchParams) => params.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'GET') {
      answer(res, req.headers.authorization === expected, scopesOf(url.searchParams));
      return;
    }
    // distribution's OAuth2 form: an identity token is a refresh token.
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk)).on('end', () => {
      const form = new URLSearchParams(Buffer.concat(body).toString('utf8'));
      answer(res, form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === TOKEN_REFRESH, scopesOf(form));
    });
  });
  const port = await listen(server);
  return { realm: `http://127.0.0.1:${port}/token`, certPath, requests, stop: () => closeServer(server) };
}

// ---- the registry ----

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  dir: string;
  /** Token requests seen, when started with `auth: 'token'`. */
  tokenRequests: TokenIssuer['requests'];
  /** The token realm, when started with `auth: 'token'`. */
  tokenRealm?: string;
  /** `skopeo copy oci:LAYOUT docker://HOST/REPO:TAG`; `format: 'v2s2'` converts to Docker schema 2. */
  pushLayout(layoutDir: string, repoAndTag: string, options?: { all?: boolean; format?: 'oci' | 'v2s2' }): Promise<void>;
  stop(): Promise<void>;
}

async function waitForRegistry(host: string, child: ResultPromise, logPath: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let exited = false;
  void child.then(
    () => (exited = true),
    () => (exited = true),
  );
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const response = await fetch(`http://${host}/v2/`);
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-2000) : '';
  throw new Error(`docker-registry on ${host} did not answer GET /v2/${exited ? ' (it exited)' : ''}: ${log}`);
}

export async function startRegistry(options: { auth?: 'token' } = {}): Promise<TestRegistry> {
  requireRegistryTools();
  const dir = tempDir('registry');
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const issuer = options.auth === 'token' ? await startTokenIssuer(dir) : undefined;
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
    ...(issuer === undefined ? {} : { auth: { token: { realm: issuer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: issuer.certPath } } }),
  };
  // YAML is a superset of JSON: the registry reads this as its config.yml.
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const logPath = join(dir, 'registry.log');
  const child = execa(REGISTRY_BIN, ['serve', configPath], { stdin: 'ignore', stdout: 'ignore', stderr: { file: logPath }, reject: false });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${REGISTRY_BIN} did not start: ${INSTALL_HINT}`);
  trackPid(pid);
  const stop = async () => {
    if (livePids.delete(pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await child;
    }
    await issuer?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRegistry(host, child, logPath);
  } catch (err) {
    await stop();
    throw err;
  }

  const pushLayout: TestRegistry['pushLayout'] = async (layoutDir, repoAndTag, pushOptions = {}) => {
    const args = [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      ...(issuer === undefined ? [] : ['--dest-creds', `${TOKEN_USER}:${TOKEN_PASSWORD}`]),
      ...(pushOptions.all === true ? ['--all'] : []),
      ...(pushOptions.format === undefined ? [] : ['--format', pushOptions.format]),
      `oci:${layoutDir}`,
      `docker://${host}/${repoAndTag}`,
    ];
    const result = await execa('skopeo', args, { reject: false, stdin: 'ignore', env: { REGISTRY_AUTH_FILE: join(dir, 'no-auth.json') } });
    if (result.exitCode !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${result.exitCode}): ${String(result.stderr)}`);
  };

  return { host, dir, tokenRequests: issuer?.requests ?? [], ...(issuer === undefined ? {} : { tokenRealm: issuer.realm }), pushLayout, stop };
}

// ---- test images ----

export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

export function blobOf(bytes: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}

/** A gzip layer from tar entries (gzip: skopeo pushes it unchanged, so digests stay known). */
export function gzipLayer(entries: RawEntry[]): Blob {
  return blobOf(gzipSync(rawTar(entries)));
}

/** A layer holding `path` with `size` random (incompressible) bytes. */
export function randomLayer(size: number, path = 'data/random.bin'): Blob {
  const dirs = path.split('/').slice(0, -1);
  const entries: RawEntry[] = dirs.map((_, i) => ({ path: `${dirs.slice(0, i + 1).join('/')}/`, type: 'dir' as const }));
  entries.push({ path, content: randomBytes(size) });
  return gzipLayer(entries);
}

export interface TestImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
}

function writeBlobFile(dir: string, blob: Blob): void {
  const path = join(dir, 'blobs', 'sha256', blob.digest.slice('sha256:'.length));
  if (!existsSync(path)) writeFileSync(path, blob.bytes);
}

function buildImage(layers: Blob[], options: { architecture?: string; cmd?: string[]; user?: string } = {}): TestImage {
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: options.architecture ?? 'amd64',
        os: 'linux',
        config: { Cmd: options.cmd ?? ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'], WorkingDir: '/', ...(options.user === undefined ? {} : { User: options.user }) },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => blobOf(gunzipSync(l.bytes)).digest) },
      }),
    ),
  );
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: GZIP_LAYER, digest: l.digest, size: l.size })),
      }),
    ),
  );
  return { manifest, config, layers };
}

function writeLayout(dir: string, image: TestImage[], top: { mediaType: string; blob: Blob }): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const { manifest, config, layers } of image) for (const blob of [manifest, config, ...layers]) writeBlobFile(dir, blob);
  writeBlobFile(dir, top.blob);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: top.mediaType, digest: top.blob.digest, size: top.blob.size }] }));
}

/** An OCI layout with one image made of `layers` (gzip blobs, e.g. from randomLayer/gzipLayer). */
export function writeImageLayout(dir: string, layers: Blob[], options: { cmd?: string[]; user?: string } = {}): TestImage {
  const image = buildImage(layers, options);
  writeLayout(dir, [image], { mediaType: OCI_MANIFEST, blob: image.manifest });
  return image;
}

/** A layout whose single entry is an image index: linux/amd64 and linux/arm64, each with its own `/platform` file. */
export function writeMultiPlatformLayout(dir: string): { index: Blob; amd64: TestImage; arm64: TestImage } {
  const imageFor = (architecture: string) => buildImage([gzipLayer([{ path: 'platform', content: `${architecture}\n` }])], { architecture });
  const amd64 = imageFor('amd64');
  const arm64 = imageFor('arm64');
  const index = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: amd64.manifest.digest, size: amd64.manifest.size, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: OCI_MANIFEST, digest: arm64.manifest.digest, size: arm64.manifest.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        ],
      }),
    ),
  );
  writeLayout(dir, [amd64, arm64], { mediaType: OCI_INDEX, blob: index });
  return { index, amd64, arm64 };
}

// ---- a fault-injecting proxy in front of a registry ----

export interface ProxyBehaviour {
  /** Cut the connection after this many body bytes of the first Range-less GET of this blob. */
  cut?: { digest: string; afterBytes: number };
  /** Drop Range headers, as a server without range support would. */
  ignoreRange?: boolean;
  /** Flip one byte in the body of this blob. */
  tamper?: string;
  /** Answer GETs of this blob only after `ms` milliseconds (a slow registry). */
  delay?: { digest: string; ms: number };
}

export interface RegistryProxy {
  host: string;
  requests: { method: string; path: string; range: string | undefined }[];
  stop(): Promise<void>;
}

const BLOB_PATH = /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/;

export async function startRegistryProxy(upstreamHost: string, behaviour: ProxyBehaviour = {}): Promise<RegistryProxy> {
  const [upstreamName, upstreamPort] = upstreamHost.split(':');
  const requests: RegistryProxy['requests'] = [];
  let cutDone = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const range = req.headers.range;
    requests.push({ method: req.method ?? 'GET', path, range });
    const headers = { ...req.headers };
    if (behaviour.ignoreRange === true) delete headers.range;
    const blob = BLOB_PATH.exec(path)?.[1];
    const wait = req.method === 'GET' && blob !== undefined && blob === behaviour.delay?.digest ? behaviour.delay.ms : 0;
    const forward = () => {
      const upstream = httpRequest({ host: upstreamName, port: Number(upstreamPort), method: req.method, path, headers }, (up) => {
        const status = up.statusCode ?? 502;
        const cutThis = behaviour.cut !== undefined && req.method === 'GET' && blob === behaviour.cut.digest && headers.range === undefined && status === 200 && !cutDone;
        if (cutThis) {
          cutDone = true;
          const limit = behaviour.cut?.afterBytes ?? 0;
          const kept: Buffer[] = [];
          let total = 0;
          up.on('data', (chunk: Buffer) => {
            if (total < limit) kept.push(chunk.subarray(0, limit - total));
            total += chunk.length;
          });
          up.on('end', () => {
            res.writeHead(status, up.headers);
            // Destroy only once the kept bytes reached the kernel, so the client sees exactly them.
            res.write(Buffer.concat(kept), () => res.socket?.destroy());
          });
          return;
        }
        if (req.method === 'GET' && blob !== undefined && blob === behaviour.tamper && status === 200) {
          const parts: Buffer[] = [];
          up.on('data', (chunk: Buffer) => parts.push(chunk));
          up.on('end', () => {
            const body = Buffer.concat(parts);
            const middle = Math.floor(body.length / 2);
            body[middle] = (body[middle] ?? 0) ^ 0xff;
            res.writeHead(status, up.headers);
            res.end(body);
          });
          return;
        }
        res.writeHead(status, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    setTimeout(forward, wait);
  });
  const port = await listen(server);
  return { host: `127.0.0.1:${port}`, requests, stop: () => closeServer(server) };
}
