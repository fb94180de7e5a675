/**
 * Registry credentials and the `WWW-Authenticate` challenge flow (Docker's
 * token auth and plain Basic). Credentials are looked up by the host a
 * request goes to, so a mirror never sees the credentials of the registry
 * it mirrors; they are never logged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract/errors';
import { config as configPaths } from '@podstage/contract/paths';
import { isLoopbackHost, NetworkError, send, type HttpRequest } from './http.js';
import { canonicalRegistry } from './reference.js';

export interface Credentials {
  username: string;
  password: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`): traded at the token realm for an access token. */
  identityToken?: string;
  /** A bearer token sent to the registry as it is (Docker's `registrytoken`). */
  registryToken?: string;
}

export interface CredentialSearch {
  /**
   * Credentials given with the request itself (the CRI's PullImage auth), under an auth-file
   * key (`host[:port][/repository]`): searched before every file.
   */
  given?: { key: string; credentials: Credentials };
  /** Explicit file (e.g. `--auth-file`); must exist when given. */
  authFile?: string;
  /** podstage's configuration directory, for `<configDir>/auth.json`. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

interface AuthFile {
  path: string;
  /** Normalised key (`host[:port][/repository]`) → credentials. */
  entries: Map<string, Credentials>;
}

function usage(file: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_USAGE', `registry credentials file \`${file}\`: ${expectation}`, {
    hint: 'expected Docker config.json format: {"auths": {"HOST[:PORT]": {"auth": "BASE64(USER:PASSWORD)"}}}',
  });
}

/** `https://index.docker.io/v1/` → `docker.io`; `host:5000/ns/repo` stays as it is. */
export function normalizeAuthKey(key: string): string {
  let rest = key.trim().replace(/^[a-z]+:\/\//, '');
  const slash = rest.indexOf('/');
  let host = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '' : rest.slice(slash + 1);
  // Docker's legacy keys carry the API version (`/v1/`, `/v2/`) as a path.
  if (/^v[12]\/?$/.test(path)) path = '';
  path = path.replace(/\/+$/, '');
  host = canonicalRegistry(host);
  rest = path === '' ? host : `${host}/${path}`;
  return rest;
}

function parseEntry(value: unknown, file: string, key: string): Credentials | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usage(file, `field \`auths.${key}\` must be an object`);
  const entry = value as Record<string, unknown>;
  const tokens: Pick<Credentials, 'identityToken' | 'registryToken'> = {};
  for (const [field, name] of [['identitytoken', 'identityToken'], ['registrytoken', 'registryToken']] as const) {
    const token = entry[field];
    if (token === undefined || token === '') continue;
    if (typeof token !== 'string') throw usage(file, `field \`auths.${key}.${field}\` must be a string`);
    tokens[name] = token;
  }
  const basic = basicEntry(entry, file, key);
  if (basic === undefined && Object.keys(tokens).length === 0) return undefined;
  return { ...(basic ?? { username: '', password: '' }), ...tokens };
}

function basicEntry(entry: Record<string, unknown>, file: string, key: string): Credentials | undefined {
  const { auth, username, password } = entry;
  if (auth !== undefined && auth !== '') {
    if (typeof auth !== 'string') throw usage(file, `field \`auths.${key}.auth\` must be a string`);
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw usage(file, `field \`auths.${key}.auth\` must be base64 of \`user:password\``);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (username !== undefined || password !== undefined) {
    if (typeof username !== 'string' || typeof password !== 'string') throw usage(file, `fields \`auths.${key}.username\` and \`password\` must both be strings`);
    return { username, password };
  }
  return undefined;
}

export function parseAuthFile(text: string, path: string): AuthFile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw usage(path, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw usage(path, 'expected a JSON object');
  const auths = (document as { auths?: unknown }).auths ?? {};
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) throw usage(path, 'field `auths` must be an object');
  const entries = new Map<string, Credentials>();
  for (const [key, value] of Object.entries(auths)) {
    const credentials = parseEntry(value, path, key);
    if (credentials !== undefined) entries.set(normalizeAuthKey(key), credentials);
  }
  return { path, entries };
}

/** The files searched, in order: explicit, $REGISTRY_AUTH_FILE, configDir, XDG runtime, ~/.docker. */
export function credentialFiles(search: CredentialSearch = {}): { path: string; required: boolean }[] {
  const env = search.env ?? process.env;
  const files: { path: string; required: boolean }[] = [];
  if (search.authFile !== undefined) files.push({ path: search.authFile, required: true });
  if (env['REGISTRY_AUTH_FILE']) files.push({ path: env['REGISTRY_AUTH_FILE'], required: false });
  if (search.configDir !== undefined) files.push({ path: configPaths.authFile(search.configDir), required: false });
  if (env['XDG_RUNTIME_DIR']) files.push({ path: join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'), required: false });
  files.push({ path: join(search.home ?? env['HOME'] ?? homedir(), '.docker', 'config.json'), required: false });
  return files;
}

export class CredentialStore {
  readonly #files: AuthFile[];

  constructor(files: AuthFile[] = []) {
    this.#files = files;
  }

  static load(search: CredentialSearch = {}): CredentialStore {
    const files: AuthFile[] = [];
    if (search.given !== undefined) files.push({ path: '(the request)', entries: new Map([[normalizeAuthKey(search.given.key), search.given.credentials]]) });
    for (const { path, required } of credentialFiles(search)) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (!required && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES')) continue;
        throw usage(path, `cannot read it (${code ?? String(err)})`);
      }
      files.push(parseAuthFile(text, path));
    }
    return new CredentialStore(files);
  }

  /**
   * Credentials for `repository` at `host`: the first file with a matching
   * key wins; within a file the longest `host/path` key covering the
   * repository wins over the bare host.
   */
  lookup(host: string, repository: string): Credentials | undefined {
    const registry = canonicalRegistry(host);
    const parts = repository.split('/');
    const keys: string[] = [];
    for (let n = parts.length; n > 0; n -= 1) keys.push(`${registry}/${parts.slice(0, n).join('/')}`);
    keys.push(registry);
    for (const file of this.#files) {
      for (const key of keys) {
        const found = file.entries.get(key);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
}

// ---- challenges ----

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"`; several challenges may share one header. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const token = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))|([A-Za-z][\w-]*)/g;
  let current: Challenge | undefined;
  for (const match of header.matchAll(token)) {
    const [, key, quoted, bare, scheme] = match;
    if (scheme !== undefined) {
      current = { scheme: scheme.toLowerCase(), params: {} };
      challenges.push(current);
    } else if (key !== undefined && current !== undefined) {
      current.params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
    }
  }
  return challenges;
}

export type Access = 'pull' | 'pull,push';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens live for the process: one per (host, scope, identity). */
const tokenCache = new Map<string, CachedToken>();
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_RESPONSE = 1024 * 1024;

function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export interface AuthTarget {
  host: string;
  repository: string;
  access: Access;
  /** Whether the registry connection itself skips certificate checks (the realm gets the same treatment). */
  tlsVerify: boolean;
}

/**
 * Answers registry challenges for one client. `authorization()` gives the
 * header to send up front (a cached token, or Basic for hosts that asked
 * for it); `respond()` handles a 401 and returns the header for the retry.
 */
export class RegistryAuth {
  readonly #basicHosts = new Set<string>();

  constructor(
    private readonly credentials: CredentialStore,
    private readonly debug: (message: string) => void = () => undefined,
  ) {}

  #cacheKey(target: AuthTarget, credentials: Credentials | undefined): string {
    // Keyed by a hash of the whole credential: a token got with one password must not serve another.
    const identity = credentials === undefined ? 'anonymous'
      : createHash('sha256').update(`${credentials.username}\0${credentials.password}\0${credentials.identityToken ?? ''}`).digest('hex');
    return `${target.host}\n${scopeOf(target)}\n${identity}`;
  }

  authorization(target: AuthTarget): string | undefined {
    const credentials = this.credentials.lookup(target.host, target.repository);
    if (credentials?.registryToken !== undefined) return `Bearer ${credentials.registryToken}`;
    if (this.#basicHosts.has(target.host)) return credentials === undefined ? undefined : basicHeader(credentials);
    const cached = tokenCache.get(this.#cacheKey(target, credentials));
    if (cached !== undefined && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    return undefined;
  }

  /** Returns the Authorization header to retry with, or throws a clear error. */
  async respond(target: AuthTarget, wwwAuthenticate: string | undefined): Promise<string> {
    const credentials = this.credentials.lookup(target.host, target.repository);
    if (credentials?.registryToken !== undefined) {
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host} refused the registry token given for it (HTTP 401) for repository \`${target.repository}\``, {
        hint: 'the token may have expired or not cover this repository; give a fresh one, or a user name and password',
      });
    }
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer !== undefined) return this.#bearer(target, bearer, credentials);
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (credentials === undefined) throw noCredentials(target, 'the registry asks for HTTP Basic authentication');
      this.#basicHosts.add(target.host);
      return basicHeader(credentials);
    }
    throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host} answered 401 with challenge \`${wwwAuthenticate ?? ''}\`, expected a Bearer or Basic challenge`);
  }

  async #bearer(target: AuthTarget, challenge: Challenge, credentials: Credentials | undefined): Promise<string> {
    const realmText = challenge.params['realm'];
    let realm: URL;
    try {
      realm = new URL(realmText ?? '');
    } catch {
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host}: Bearer challenge realm \`${realmText ?? ''}\` is not a URL`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host}: Bearer challenge realm \`${realm.href}\`, expected an http(s) URL`);
    }
    const sendCredentials = credentials !== undefined && realmMayReceiveCredentials(realm, target.host);
    if (credentials !== undefined && !sendCredentials) {
      this.debug(`not sending credentials for ${target.host} to token realm ${realm.origin}: plain HTTP to another host`);
    }
    const request = sendCredentials && credentials.identityToken !== undefined
      ? oauthRefreshRequest(realm, challenge, target, credentials.identityToken)
      : tokenGetRequest(realm, challenge, target, sendCredentials ? credentials : undefined);

    let response;
    try {
      response = await send(request);
    } catch (err) {
      const reason = err instanceof NetworkError ? err.reason : String(err);
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host}: token server ${realm.origin} unreachable (${reason})`, { cause: err });
    }
    if (response.status === 401 || response.status === 403) {
      await response.discard();
      if (!sendCredentials) throw noCredentials(target, `token server ${realm.origin} answered ${response.status} to an anonymous request`);
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host}: token server ${realm.origin} refused the credentials configured for it (HTTP ${response.status})`, {
        hint: 'check the user name and password in the registry credentials file',
      });
    }
    if (response.status !== 200) {
      await response.discard();
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host}: token server ${realm.origin} answered HTTP ${response.status}, expected 200 with a token`);
    }
    const body = await response.bytes(MAX_TOKEN_RESPONSE, `token response from ${realm.origin}`);
    const token = parseTokenResponse(body, realm.origin);
    const expiresIn = token.expiresIn ?? DEFAULT_TOKEN_SECONDS;
    // Renew a little early so a token never expires between check and use.
    tokenCache.set(this.#cacheKey(target, credentials), { token: token.token, expiresAt: Date.now() + Math.max(expiresIn - 10, 1) * 1000 });
    return `Bearer ${token.token}`;
  }

  /** Forget a token the registry rejected. */
  invalidate(target: AuthTarget): void {
    tokenCache.delete(this.#cacheKey(target, this.credentials.lookup(target.host, target.repository)));
  }
}

/** Docker's token GET: the scope and service as query parameters, the credentials (if any) as Basic. */
function tokenGetRequest(realm: URL, challenge: Challenge, target: AuthTarget, credentials: Credentials | undefined): HttpRequest {
  const url = new URL(realm);
  if (challenge.params['service'] !== undefined) url.searchParams.set('service', challenge.params['service']);
  url.searchParams.set('scope', scopeOf(target));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credentials !== undefined) headers['authorization'] = basicHeader(credentials);
  return { method: 'GET', url, headers, tlsVerify: target.tlsVerify };
}

/** An identity token is an OAuth2 refresh token: POSTed to the realm for an access token (distribution's token spec, containerd's). */
function oauthRefreshRequest(realm: URL, challenge: Challenge, target: AuthTarget, refreshToken: string): HttpRequest {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'podstage', scope: scopeOf(target) });
  if (challenge.params['service'] !== undefined) form.set('service', challenge.params['service']);
  return {
    method: 'POST', url: new URL(realm), headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(form.toString()), tlsVerify: target.tlsVerify,
  };
}

function scopeOf(target: AuthTarget): string {
  return `repository:${target.repository}:${target.access}`;
}

/** Credentials may travel to a token realm over TLS, or in the clear only to the registry's own host. */
function realmMayReceiveCredentials(realm: URL, registryHost: string): boolean {
  if (realm.protocol === 'https:') return true;
  const registryHostname = registryHost.startsWith('[') ? registryHost.slice(0, registryHost.indexOf(']') + 1) : registryHost.replace(/:[0-9]+$/, '');
  return realm.hostname === registryHostname || (isLoopbackHost(realm.host) && isLoopbackHost(registryHost));
}

function parseTokenResponse(body: Buffer, origin: string): { token: string; expiresIn?: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PodstageError('ERR_PODSTAGE_REGISTRY', `token server ${origin}: answer is not JSON, expected {"token": "…"}`);
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const token = typeof fields['token'] === 'string' && fields['token'] !== '' ? fields['token'] : fields['access_token'];
  if (typeof token !== 'string' || token === '') throw new PodstageError('ERR_PODSTAGE_REGISTRY', `token server ${origin}: answer has no \`token\` or \`access_token\` string`);
  const expiresIn = fields['expires_in'];
  return typeof expiresIn === 'number' && expiresIn > 0 ? { token, expiresIn } : { token };
}

function noCredentials(target: AuthTarget, why: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_REGISTRY', `registry ${target.host} requires authentication for repository \`${target.repository}\` (${why}), and no credentials are configured for ${target.host}`, {
    hint: `add credentials for "${target.host}" to the registry credentials file (auth.json in the podstage config directory, $REGISTRY_AUTH_FILE or ~/.docker/config.json)`,
  });
}
