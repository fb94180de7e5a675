/**
 * OCI distribution API client: manifests (following an index to the host
 * platform), blobs streamed into the image store with resume, cosign
 * signature artifacts, and monolithic pushes. Every byte fetched is checked
 * against the digest it was asked by before anything else looks at it.
 */
import { PodstageError, isPodstageError, type ErrorCode } from '@podstage/contract/errors';
import { config as configPaths } from '@podstage/contract/paths';
import type { BlobStaging } from '../image/blob-writer.js';
import { parseDigest, sha256Digest, type DigestAndSize } from '../image/digest.js';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPE } from '../image/media-types.js';
import { hostPlatform, MAX_JSON_BYTES, parseIndex, parseJson, parseManifest, type Descriptor, type Platform } from '../image/oci-types.js';
import type { ImageStore } from '../image/store.js';
import { CredentialStore, RegistryAuth, type Access, type AuthTarget, type CredentialSearch } from './auth.js';
import { isLoopbackHost, NetworkError, send, type HttpRequest, type HttpResponse } from './http.js';
import { formatReference, manifestReference, type DockerReference } from './reference.js';
import { RegistriesConf, type RegistryEndpoint } from './registries-conf.js';

export type InsecureOption = 'http' | 'tls';

export interface RegistryClientOptions {
  registries?: RegistriesConf;
  credentials?: CredentialStore;
  /** `http`: plain HTTP allowed everywhere; `tls`: certificates are not checked. */
  insecureOptions?: readonly InsecureOption[];
  /** Notes on fallbacks (mirror down, HTTP fallback, resumed download); never carries secrets. */
  debug?: (message: string) => void;
}

export interface ResolvedManifest {
  /** Digest of the platform manifest: the image id. */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** Where it came from; blobs are fetched from the same place. */
  endpoint: RegistryEndpoint;
  /** The image index / manifest list it was selected from, if any. */
  indexDigest?: string;
}

export interface SignatureArtifact {
  mediaType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

export type BlobProgress = (bytes: number, total: number) => void;

/** Where a push goes: a reference (its original, non-mirror location) or an explicit endpoint. */
export type PushTarget = DockerReference | RegistryEndpoint;

const MANIFEST_ACCEPT = [
  MEDIA_TYPE.ociIndex,
  MEDIA_TYPE.ociManifest,
  MEDIA_TYPE.dockerManifestList,
  MEDIA_TYPE.dockerManifest,
  // Asked for only so that an old image is refused by name instead of by a confusing 404.
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
].join(', ');
const SCHEMA1_MEDIA_TYPES = ['application/vnd.docker.distribution.manifest.v1+prettyjws', 'application/vnd.docker.distribution.manifest.v1+json'];
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_REDIRECTS = 5;
const MAX_BLOB_ATTEMPTS = 3;
const USER_AGENT = 'podstage';
export const SYSTEM_REGISTRIES_CONF = '/etc/containers/registries.conf';

/** An HTTP answer that was not the one expected, with its status for callers that care (404). */
export class RegistryHttpError extends PodstageError {
  constructor(
    readonly status: number,
    message: string,
    hint?: string,
  ) {
    super('ERR_PODSTAGE_REGISTRY', message, hint === undefined ? {} : { hint });
  }
}

/** The server ignored our Range request: the bytes already consumed cannot be taken back. */
class RestartDownload extends Error {}

export function describeEndpoint(endpoint: RegistryEndpoint): string {
  return `${endpoint.host}/${endpoint.repository}${endpoint.mirror ? ' (mirror)' : ''}`;
}

function reasonOf(err: unknown): string {
  if (err instanceof NetworkError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}

async function registryErrorDetail(response: HttpResponse): Promise<string> {
  let text = '';
  try {
    text = (await response.bytes(MAX_ERROR_BODY, 'error body')).toString('utf8');
  } catch {
    await response.discard();
  }
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const errors = (parsed.errors ?? []).map((e) => [e.code, e.message].filter((s) => typeof s === 'string').join(': ')).filter((s) => s !== '');
    if (errors.length > 0) return errors.join('; ');
  } catch {
    // Not the distribution spec's error JSON: fall through to the status alone.
  }
  return '';
}

function selectPlatform(manifests: Descriptor[], want: Platform, what: string): Descriptor {
  const candidates = manifests.filter(
    (m) => m.platform?.os === want.os && m.platform.architecture === want.architecture && (want.variant === undefined || m.platform.variant === want.variant),
  );
  const match = candidates.find((m) => m.platform?.variant === undefined) ?? candidates[0];
  if (match === undefined) {
    const offered = manifests.map((m) => (m.platform === undefined ? 'unknown' : `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`));
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: no manifest for ${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''}, offered: ${offered.join(', ') || 'none'}`);
  }
  return match;
}

function manifestMediaType(value: unknown, contentType: string | undefined, what: string): string {
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const declared = typeof fields['mediaType'] === 'string' ? fields['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim();
  if (fields['schemaVersion'] === 1 || SCHEMA1_MEDIA_TYPES.includes(declared ?? header ?? '')) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `${what}: Docker schema 1 manifest, expected an OCI or Docker schema 2 manifest`, {
      hint: 'schema 1 is deprecated and unsigned-by-digest; re-push the image with a current client, e.g. `skopeo copy --format v2s2 …`',
    });
  }
  if (declared !== undefined) return declared;
  if (header !== undefined && [...INDEX_MEDIA_TYPES, ...MANIFEST_MEDIA_TYPES].includes(header)) return header;
  return Array.isArray(fields['manifests']) ? MEDIA_TYPE.ociIndex : MEDIA_TYPE.ociManifest;
}

function aggregateFailure(what: string, failures: { endpoint: RegistryEndpoint; error: unknown }[]): PodstageError {
  const codes = new Set(failures.map((f) => (isPodstageError(f.error) ? f.error.code : 'ERR_PODSTAGE_REGISTRY')));
  const [onlyCode] = codes;
  const code: ErrorCode = codes.size === 1 && onlyCode !== undefined ? onlyCode : 'ERR_PODSTAGE_REGISTRY';
  const hint = failures.map((f) => (isPodstageError(f.error) ? f.error.hint : undefined)).findLast((h) => h !== undefined);
  const only = failures.length === 1 ? failures[0] : undefined;
  const message =
    only !== undefined
      ? `${what} from ${describeEndpoint(only.endpoint)}: ${reasonOf(only.error)}`
      : `${what} from any of ${failures.length} endpoints: ${failures.map((f) => `${describeEndpoint(f.endpoint)}: ${reasonOf(f.error)}`).join('; ')}`;
  return new PodstageError(code, message, { ...(hint === undefined ? {} : { hint }), cause: failures.at(-1)?.error });
}

interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer;
}

export class RegistryClient {
  readonly #registries: RegistriesConf;
  readonly #auth: RegistryAuth;
  readonly #insecure: ReadonlySet<InsecureOption>;
  readonly #debug: (message: string) => void;
  /** The scheme that answered for each host, so the HTTPS→HTTP fallback happens once. */
  readonly #schemes = new Map<string, 'https:' | 'http:'>();

  constructor(options: RegistryClientOptions = {}) {
    this.#registries = options.registries ?? new RegistriesConf();
    this.#debug = options.debug ?? (() => undefined);
    this.#auth = new RegistryAuth(options.credentials ?? new CredentialStore(), this.#debug);
    this.#insecure = new Set(options.insecureOptions ?? []);
  }

  /** Mirrors first, then the original location (registries.conf applied). */
  endpointsFor(ref: DockerReference): RegistryEndpoint[] {
    return this.#registries.endpointsFor(ref);
  }

  // ---- manifests ----

  /** The manifest for `platform` (default: this host), from the first endpoint that serves it. */
  async resolveManifest(ref: DockerReference, platform: Platform = hostPlatform()): Promise<ResolvedManifest> {
    const failures: { endpoint: RegistryEndpoint; error: unknown }[] = [];
    const endpoints = this.endpointsFor(ref);
    for (const [i, endpoint] of endpoints.entries()) {
      try {
        return await this.#resolveAt(endpoint, ref, platform);
      } catch (err) {
        failures.push({ endpoint, error: err });
        if (i < endpoints.length - 1) this.#debug(`${formatReference(ref)}: ${describeEndpoint(endpoint)} failed (${reasonOf(err)}), trying the next endpoint`);
      }
    }
    throw aggregateFailure(`${formatReference(ref)}: cannot fetch the manifest`, failures);
  }

  async #resolveAt(endpoint: RegistryEndpoint, ref: DockerReference, platform: Platform): Promise<ResolvedManifest> {
    const top = await this.#fetchManifest(endpoint, manifestReference(ref), ref.digest);
    if (MANIFEST_MEDIA_TYPES.includes(top.mediaType)) return { ...top, endpoint };
    if (!INDEX_MEDIA_TYPES.includes(top.mediaType)) {
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `manifest ${top.digest}: media type \`${top.mediaType}\`, expected an OCI or Docker v2 image manifest or index`);
    }
    const what = `image index ${top.digest}`;
    const selected = selectPlatform(parseIndex(top.value, what).manifests, platform, what);
    const manifest = await this.#fetchManifest(endpoint, selected.digest, selected.digest);
    if (!MANIFEST_MEDIA_TYPES.includes(manifest.mediaType)) {
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `manifest ${manifest.digest} (from ${what}): media type \`${manifest.mediaType}\`, expected an OCI or Docker v2 image manifest`);
    }
    return { digest: manifest.digest, mediaType: manifest.mediaType, bytes: manifest.bytes, endpoint, indexDigest: top.digest };
  }

  /** GET a manifest by tag or digest; its bytes are checked against `expectedDigest` or Docker-Content-Digest. */
  async #fetchManifest(endpoint: RegistryEndpoint, reference: string, expectedDigest: string | undefined) {
    const what = `manifest \`${reference}\` of ${endpoint.host}/${endpoint.repository}`;
    const response = await this.#request(endpoint, 'pull', 'GET', `/v2/${endpoint.repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (response.status !== 200) throw await this.#unexpected(response, what, 200);
    const bytes = await response.bytes(MAX_MANIFEST_BYTES, what);
    const digest = sha256Digest(bytes);
    const claimed = response.header('docker-content-digest');
    const expected = expectedDigest ?? (claimed?.startsWith('sha256:') ? claimed : undefined);
    if (expected !== undefined && digest !== expected) {
      throw new PodstageError('ERR_PODSTAGE_DIGEST', `${what}: content digest is ${digest}, expected ${expected}`, {
        hint: 'the registry or something between us and it served different bytes; do not trust this endpoint',
      });
    }
    const value = parseJson(bytes.toString('utf8'), what);
    return { digest, bytes, value, mediaType: manifestMediaType(value, response.header('content-type'), what) };
  }

  // ---- blobs ----

  /** Streams a blob into the store (verified); a blob already there is not fetched. */
  async fetchBlobToStore(store: ImageStore, endpoint: RegistryEndpoint, descriptor: Descriptor, onProgress?: BlobProgress): Promise<DigestAndSize & { skipped: boolean }> {
    if (store.hasBlobFor(descriptor, `blob ${descriptor.digest}`)) return { digest: descriptor.digest, size: descriptor.size, skipped: true };
    const staging = await store.beginStaging();
    try {
      const result = await this.fetchBlobInto(staging, endpoint, descriptor, `blob ${descriptor.digest}`, onProgress);
      await staging.commit();
      return { ...result, skipped: false };
    } finally {
      await staging.discard();
    }
  }

  /**
   * Streams a blob into `staging`, hashing as it goes. A dropped connection
   * is resumed with a Range request continuing the same hash; a server that
   * ignores Range makes us start over. At most MAX_BLOB_ATTEMPTS requests.
   */
  async fetchBlobInto(staging: BlobStaging, endpoint: RegistryEndpoint, descriptor: Descriptor, what: string, onProgress?: BlobProgress): Promise<DigestAndSize> {
    parseDigest(descriptor.digest, what);
    const state = { attempts: 0 };
    for (;;) {
      try {
        return await staging.putStream(this.#blobChunks(endpoint, descriptor, what, state, onProgress), descriptor, what);
      } catch (err) {
        if (!(err instanceof RestartDownload)) throw err;
        if (state.attempts >= MAX_BLOB_ATTEMPTS) {
          throw new PodstageError('ERR_PODSTAGE_REGISTRY', `${what} from ${describeEndpoint(endpoint)}: download failed ${state.attempts} times (${err.message})`);
        }
        this.#debug(`${what}: ${err.message}, downloading again from the start`);
        onProgress?.(0, descriptor.size);
      }
    }
  }

  async *#blobChunks(endpoint: RegistryEndpoint, descriptor: Descriptor, what: string, state: { attempts: number }, onProgress?: BlobProgress): AsyncGenerator<Buffer> {
    const path = `/v2/${endpoint.repository}/blobs/${descriptor.digest}`;
    let received = 0;
    for (;;) {
      state.attempts += 1;
      const resuming = received > 0;
      let response: HttpResponse;
      try {
        response = await this.#request(endpoint, 'pull', 'GET', path, resuming ? { headers: { range: `bytes=${received}-` } } : {});
      } catch (err) {
        if (!(err instanceof NetworkError) || state.attempts >= MAX_BLOB_ATTEMPTS) throw this.#blobFailure(err, what, endpoint, received);
        this.#debug(`${what}: ${err.reason}, retrying`);
        await delay(200 * state.attempts);
        continue;
      }
      if (resuming && response.status === 200) {
        await response.discard();
        throw new RestartDownload(`${endpoint.host} ignored the Range request after ${received} bytes`);
      }
      if (resuming && response.status === 206) {
        const start = /^bytes ([0-9]+)-/.exec(response.header('content-range') ?? '')?.[1];
        if (start === undefined || Number(start) !== received) {
          await response.discard();
          throw new RestartDownload(`${endpoint.host} answered the Range request from ${received} with \`Content-Range: ${response.header('content-range') ?? ''}\``);
        }
      } else if (response.status !== 200) {
        throw await this.#unexpected(response, what, 200);
      }
      try {
        for await (const chunk of response.body()) {
          received += chunk.length;
          onProgress?.(received, descriptor.size);
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
        }
      } catch (err) {
        if (!(err instanceof NetworkError) || state.attempts >= MAX_BLOB_ATTEMPTS) throw this.#blobFailure(err, what, endpoint, received);
        this.#debug(`${what}: ${err.reason} after ${received} of ${descriptor.size} bytes, resuming with a Range request`);
        continue;
      }
      // A clean end short of the declared size is a truncation too; resume if we still may.
      if (received >= descriptor.size || state.attempts >= MAX_BLOB_ATTEMPTS) return;
      this.#debug(`${what}: body ended after ${received} of ${descriptor.size} bytes, resuming with a Range request`);
    }
  }

  #blobFailure(err: unknown, what: string, endpoint: RegistryEndpoint, received: number): unknown {
    if (!(err instanceof NetworkError)) return err;
    return new PodstageError('ERR_PODSTAGE_REGISTRY', `${what} from ${describeEndpoint(endpoint)}: ${err.reason} after ${received} bytes, gave up after ${MAX_BLOB_ATTEMPTS} attempts`, { cause: err });
  }

  /** A small blob (config, signature payload) read whole and verified. */
  async fetchBlobBytes(endpoint: RegistryEndpoint, descriptor: Descriptor, what: string, limit = MAX_JSON_BYTES): Promise<Buffer> {
    if (descriptor.size > limit) throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: ${descriptor.size} bytes, expected at most ${limit}`);
    const response = await this.#request(endpoint, 'pull', 'GET', `/v2/${endpoint.repository}/blobs/${descriptor.digest}`);
    if (response.status !== 200) throw await this.#unexpected(response, what, 200);
    const bytes = await response.bytes(descriptor.size, what).catch((err: unknown) => {
      if (err instanceof NetworkError || isPodstageError(err)) throw err;
      throw new PodstageError('ERR_PODSTAGE_DIGEST', `${what}: more than ${descriptor.size} bytes, expected ${descriptor.size} for ${descriptor.digest}`);
    });
    const digest = sha256Digest(bytes);
    if (digest !== descriptor.digest || bytes.length !== descriptor.size) {
      throw new PodstageError('ERR_PODSTAGE_DIGEST', `${what}: content is ${digest} (${bytes.length} bytes), expected ${descriptor.digest} (${descriptor.size} bytes)`);
    }
    return bytes;
  }

  // ---- signatures ----

  /**
   * Layers of the cosign signature manifest (tag `sha256-<hex>.sig`) for
   * `manifestDigest`; `[]` when no endpoint has that tag.
   */
  async listSignatureArtifacts(ref: DockerReference, manifestDigest: string): Promise<SignatureArtifact[]> {
    const { algorithm, hex } = parseDigest(manifestDigest, 'signed manifest digest');
    const tag = `${algorithm}-${hex}.sig`;
    const failures: { endpoint: RegistryEndpoint; error: unknown }[] = [];
    let notFound = 0;
    const endpoints = this.endpointsFor(ref);
    for (const endpoint of endpoints) {
      let manifest;
      try {
        manifest = await this.#fetchManifest(endpoint, tag, undefined);
      } catch (err) {
        if (err instanceof RegistryHttpError && err.status === 404) notFound += 1;
        else failures.push({ endpoint, error: err });
        continue;
      }
      const what = `signature manifest \`${tag}\` of ${describeEndpoint(endpoint)}`;
      const parsed = parseManifest(manifest.value, what);
      const artifacts: SignatureArtifact[] = [];
      for (const [i, layer] of parsed.layers.entries()) {
        const payload = await this.fetchBlobBytes(endpoint, layer, `${what} layers[${i}] (${layer.digest})`);
        artifacts.push({ mediaType: layer.mediaType, payload, annotations: layer.annotations ?? {} });
      }
      return artifacts;
    }
    if (notFound === endpoints.length) return [];
    throw aggregateFailure(`${formatReference(ref)}: cannot look up signatures (\`${tag}\`)`, failures);
  }

  // ---- push ----

  #pushEndpoint(target: PushTarget): RegistryEndpoint {
    if ('host' in target) return target;
    const endpoints = this.endpointsFor(target);
    const origin = endpoints.find((e) => !e.mirror) ?? endpoints.at(-1);
    if (origin === undefined) throw new PodstageError('ERR_PODSTAGE_REGISTRY', `${formatReference(target)}: no endpoint to push to`);
    return origin;
  }

  /** Monolithic upload (POST then PUT with `digest=`); a blob the registry has is not sent again. */
  async pushBlob(target: PushTarget, bytes: Buffer): Promise<DigestAndSize> {
    const endpoint = this.#pushEndpoint(target);
    const digest = sha256Digest(bytes);
    const what = `blob ${digest} to ${describeEndpoint(endpoint)}`;
    const head = await this.#request(endpoint, 'pull,push', 'HEAD', `/v2/${endpoint.repository}/blobs/${digest}`);
    await head.discard();
    if (head.status === 200) return { digest, size: bytes.length };
    const start = await this.#request(endpoint, 'pull,push', 'POST', `/v2/${endpoint.repository}/blobs/uploads/`, { body: Buffer.alloc(0) });
    if (start.status !== 202) throw await this.#unexpected(start, `starting upload of ${what}`, 202);
    await start.discard();
    const location = start.header('location');
    if (location === undefined) throw new PodstageError('ERR_PODSTAGE_REGISTRY', `starting upload of ${what}: no Location header in the 202 answer`);
    const uploadUrl = new URL(location, start.url).href;
    const putUrl = `${uploadUrl}${uploadUrl.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const put = await this.#request(endpoint, 'pull,push', 'PUT', putUrl, { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    if (put.status !== 201) throw await this.#unexpected(put, `uploading ${what}`, 201);
    await put.discard();
    return { digest, size: bytes.length };
  }

  /** PUT a manifest under a tag or digest; returns its digest. */
  async pushManifest(target: PushTarget, tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<string> {
    const endpoint = this.#pushEndpoint(target);
    const digest = sha256Digest(bytes);
    const what = `manifest \`${tagOrDigest}\` to ${describeEndpoint(endpoint)}`;
    const response = await this.#request(endpoint, 'pull,push', 'PUT', `/v2/${endpoint.repository}/manifests/${tagOrDigest}`, {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    if (response.status !== 201) throw await this.#unexpected(response, `pushing ${what}`, 201);
    await response.discard();
    const claimed = response.header('docker-content-digest');
    if (claimed !== undefined && claimed !== digest) {
      throw new PodstageError('ERR_PODSTAGE_DIGEST', `pushing ${what}: registry stored it as ${claimed}, expected ${digest}`);
    }
    return digest;
  }

  // ---- HTTP with auth, scheme fallback and redirects ----

  async #unexpected(response: HttpResponse, what: string, expected: number): Promise<RegistryHttpError> {
    const detail = await registryErrorDetail(response);
    const hint = response.status === 401 || response.status === 403 ? 'check the credentials configured for this registry and that they grant access to the repository' : undefined;
    return new RegistryHttpError(response.status, `${what}: HTTP ${response.status}${detail === '' ? '' : ` (${detail})`}, expected ${expected}`, hint);
  }

  #tlsVerify(endpoint: RegistryEndpoint): boolean {
    return !(endpoint.insecure || this.#insecure.has('tls'));
  }

  #schemesFor(endpoint: RegistryEndpoint): ('https:' | 'http:')[] {
    const known = this.#schemes.get(endpoint.host);
    if (known !== undefined) return [known];
    const httpAllowed = endpoint.insecure || this.#insecure.has('http') || isLoopbackHost(endpoint.host);
    return httpAllowed ? ['https:', 'http:'] : ['https:'];
  }

  /** `pathOrUrl` is a path at the endpoint, or an absolute URL the registry gave us (upload location). */
  async #request(endpoint: RegistryEndpoint, access: Access, method: HttpRequest['method'], pathOrUrl: string, options: RequestOptions = {}): Promise<HttpResponse> {
    if (/^https?:\/\//.test(pathOrUrl)) return this.#requestWithAuth(endpoint, access, method, new URL(pathOrUrl), options);
    const schemes = this.#schemesFor(endpoint);
    const failures: NetworkError[] = [];
    for (const scheme of schemes) {
      const url = new URL(pathOrUrl, `${scheme}//${endpoint.host}`);
      try {
        const response = await this.#requestWithAuth(endpoint, access, method, url, options);
        this.#schemes.set(endpoint.host, scheme);
        return response;
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        failures.push(err);
        if (failures.length < schemes.length) this.#debug(`${endpoint.host}: HTTPS failed (${err.reason}), trying plain HTTP`);
      }
    }
    const [first, last] = [failures[0], failures.at(-1)];
    if (first === undefined || last === undefined) throw new Error('unreachable: no scheme was tried');
    if (failures.every((f) => f.reason === first.reason)) throw last;
    // Both schemes failed differently: the HTTPS reason (e.g. a certificate problem) is usually the one that matters.
    throw new NetworkError(last.url, failures.map((f) => `${f.url.protocol === 'https:' ? 'HTTPS' : 'HTTP'}: ${f.reason}`).join(', then '), { cause: last });
  }

  async #requestWithAuth(endpoint: RegistryEndpoint, access: Access, method: HttpRequest['method'], url: URL, options: RequestOptions): Promise<HttpResponse> {
    const target: AuthTarget = { host: endpoint.host, repository: endpoint.repository, access, tlsVerify: this.#tlsVerify(endpoint) };
    // Credentials and tokens belong to the endpoint's host and go nowhere else.
    const sameHost = url.host === endpoint.host;
    let authorization = sameHost ? this.#auth.authorization(target) : undefined;
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.#follow(method, url, options, authorization, target.tlsVerify);
      if (response.status !== 401 || attempt > 0 || !sameHost) return response;
      const challenge = response.header('www-authenticate');
      await response.discard();
      if (authorization?.startsWith('Bearer ') === true) this.#auth.invalidate(target);
      authorization = await this.#auth.respond(target, challenge);
    }
  }

  async #follow(method: HttpRequest['method'], start: URL, options: RequestOptions, authorization: string | undefined, tlsVerify: boolean): Promise<HttpResponse> {
    let url = start;
    let auth = authorization;
    let verify = tlsVerify;
    for (let hops = 0; ; hops += 1) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...options.headers };
      if (auth !== undefined) headers['authorization'] = auth;
      const response = await send({ method, url, headers, tlsVerify: verify, ...(options.body === undefined ? {} : { body: options.body }) });
      const location = response.header('location');
      const redirected = [301, 302, 303, 307, 308].includes(response.status) && location !== undefined && (method === 'GET' || method === 'HEAD');
      if (!redirected) return response;
      await response.discard();
      if (hops >= MAX_REDIRECTS) throw new PodstageError('ERR_PODSTAGE_REGISTRY', `${start.href}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        // Blob storage behind a redirect authenticates with the signed URL, never with our credentials.
        auth = undefined;
        verify = !this.#insecure.has('tls');
      }
      url = next;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A client configured the way podstage runs: registries.conf files and the credential search path. */
export function createRegistryClient(options: {
  registriesConfFiles?: readonly string[];
  configDir?: string;
  authFile?: string;
  givenCredentials?: CredentialSearch['given'];
  insecureOptions?: readonly InsecureOption[];
  debug?: (message: string) => void;
}): RegistryClient {
  const files = options.registriesConfFiles ?? [SYSTEM_REGISTRIES_CONF, ...(options.configDir === undefined ? [] : [configPaths.registriesConf(options.configDir)])];
  return new RegistryClient({
    registries: RegistriesConf.load(files),
    credentials: CredentialStore.load({
      ...(options.configDir === undefined ? {} : { configDir: options.configDir }), ...(options.authFile === undefined ? {} : { authFile: options.authFile }),
      ...(options.givenCredentials === undefined ? {} : { given: options.givenCredentials }),
    }),
    ...(options.insecureOptions === undefined ? {} : { insecureOptions: options.insecureOptions }),
    ...(options.debug === undefined ? {} : { debug: options.debug }),
  });
}
