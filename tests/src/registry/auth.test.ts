/** Credentials files, challenge parsing, and pulls through distribution's token auth. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { ImageStore } from '@podstage/images';
import { credentialFiles, CredentialStore, parseWwwAuthenticate } from '@podstage/images/registry';
import { RegistryClient } from '@podstage/images/registry';
import { pullImage } from '@podstage/images/registry';
import { parseDockerReference } from '@podstage/images/registry';
import { tempDir } from '../helpers/fs-snapshot.js';
import { gzipLayer, startRegistry, TOKEN_PASSWORD, TOKEN_REFRESH, TOKEN_USER, writeImageLayout, type TestImage, type TestRegistry } from '../helpers/registry.js';

let base = '';
let registry: TestRegistry;
let image: TestImage;

const basicAuth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

function writeJson(path: string, value: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string; hint?: string };
  }
  throw new Error('expected a rejection');
}

test.before(async () => {
  base = tempDir('registry-auth');
  registry = await startRegistry({ auth: 'token' });
  image = writeImageLayout(join(base, 'layout'), [gzipLayer([{ path: 'secret-file', content: 'only with a token\n' }])]);
  await registry.pushLayout(join(base, 'layout'), 'private/app:v1');
});

test.after(async () => {
  await registry?.stop();
  rmSync(base, { recursive: true, force: true });
});

test('WWW-Authenticate challenges are parsed', () => {
  assert.equal(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.equal(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.equal(parseWwwAuthenticate('Basic realm=plain, Bearer realm="x\\"y"'), [
    { scheme: 'basic', params: { realm: 'plain' } },
    { scheme: 'bearer', params: { realm: 'x"y' } },
  ]);
});

test('credential files are searched in order: explicit, $REGISTRY_AUTH_FILE, configDir, XDG runtime, ~/.docker', () => {
  const dir = join(base, 'search');
  const env = { REGISTRY_AUTH_FILE: join(dir, 'env.json'), XDG_RUNTIME_DIR: join(dir, 'run') };
  const paths = credentialFiles({ authFile: join(dir, 'explicit.json'), configDir: join(dir, 'etc'), env, home: join(dir, 'home') }).map((f) => f.path);
  assert.equal(paths, [join(dir, 'explicit.json'), join(dir, 'env.json'), join(dir, 'etc/auth.json'), join(dir, 'run/containers/auth.json'), join(dir, 'home/.docker/config.json')]);

  writeJson(join(dir, 'env.json'), { auths: { 'quay.io': { auth: basicAuth('env', 'p1') } } });
  writeJson(join(dir, 'etc/auth.json'), { auths: { 'quay.io': { auth: basicAuth('etc', 'p2') }, 'ghcr.io': { username: 'etc-user', password: 'p3' } } });
  writeJson(join(dir, 'home/.docker/config.json'), {
    auths: { 'https://index.docker.io/v1/': { auth: basicAuth('hub', 'p4') }, 'quay.io/team/app': { auth: basicAuth('repo-scoped', 'p5') } },
  });
  const store = CredentialStore.load({ configDir: join(dir, 'etc'), env, home: join(dir, 'home') });
  assert.equal(store.lookup('quay.io', 'x/y'), { username: 'env', password: 'p1' });
  assert.equal(store.lookup('ghcr.io', 'x/y'), { username: 'etc-user', password: 'p3' });
  assert.equal(store.lookup('registry-1.docker.io', 'library/busybox'), { username: 'hub', password: 'p4' });
  assert.is(store.lookup('example.com', 'x'), undefined);
  // A repository-scoped key only applies inside that repository, and only in its own file.
  const homeOnly = CredentialStore.load({ env: {}, home: join(dir, 'home') });
  assert.equal(homeOnly.lookup('quay.io', 'team/app'), { username: 'repo-scoped', password: 'p5' });
  assert.is(homeOnly.lookup('quay.io', 'team/other'), undefined);
});

test("credentials given with a request come first, and only for their registry", () => {
  const dir = join(base, 'given');
  writeJson(join(dir, 'auth.json'), { auths: { 'quay.io': { auth: basicAuth('file', 'p1') }, 'ghcr.io': { auth: basicAuth('file', 'p2') } } });
  const store = CredentialStore.load({ authFile: join(dir, 'auth.json'), given: { key: 'quay.io', credentials: { username: 'pull-secret', password: 's' } }, env: {}, home: dir });
  assert.equal(store.lookup('quay.io', 'team/app'), { username: 'pull-secret', password: 's' });
  assert.equal(store.lookup('ghcr.io', 'team/app'), { username: 'file', password: 'p2' }, 'another host keeps its own');
  assert.is(store.lookup('mirror.example', 'team/app'), undefined, 'a mirror never sees them');
});

test('a missing explicit credentials file and malformed files are refused naming the file', () => {
  const missing = join(base, 'missing.json');
  assert.throws(() => CredentialStore.load({ authFile: missing, env: {}, home: base }), (err: Error & { code?: string }) => err.code === 'ERR_PODSTAGE_USAGE' && err.message.includes(missing));
  const broken = join(base, 'broken.json');
  writeFileSync(broken, '{"auths": ');
  assert.throws(() => CredentialStore.load({ authFile: broken, env: {}, home: base }), (err: Error) => err.message.includes(broken) && err.message.includes('not valid JSON'));
  const notString = writeJson(join(base, 'not-string.json'), { auths: { 'quay.io': { auth: 42 } } });
  assert.throws(() => CredentialStore.load({ authFile: notString, env: {}, home: base }), (err: Error) => err.message.includes('`auths.quay.io.auth` must be a string'));
  const noColon = writeJson(join(base, 'no-colon.json'), { auths: { 'quay.io': { auth: Buffer.from('nocolon').toString('base64') } } });
  assert.throws(() => CredentialStore.load({ authFile: noColon, env: {}, home: base }), (err: Error) => err.message.includes('must be base64 of `user:password`'));
});

test('token-auth pull with credentials from a config.json file', async () => {
  const authFile = writeJson(join(base, 'config.json'), { auths: { [registry.host]: { auth: basicAuth(TOKEN_USER, TOKEN_PASSWORD) } } });
  const credentials = CredentialStore.load({ authFile, env: {}, home: base });
  const store = new ImageStore(join(base, 'data-ok'));
  const before = registry.tokenRequests.length;
  const record = await pullImage(store, `docker://${registry.host}/private/app:v1`, { credentials });
  assert.is(record.id, image.manifest.digest);
  const requests = registry.tokenRequests.slice(before);
  assert.ok(requests.length >= 1);
  assert.ok(requests.every((r) => r.authenticated));
  assert.equal(requests[0]?.scopes, ['repository:private/app:pull']);
  // Tokens are cached per (host, scope): a second pull needs no new token.
  const again = registry.tokenRequests.length;
  await pullImage(new ImageStore(join(base, 'data-ok-2')), `docker://${registry.host}/private/app:v1`, { credentials });
  assert.is(registry.tokenRequests.length, again);
});

test("Docker's identitytoken (an OAuth2 refresh token, traded at the realm) and registrytoken (sent as it is) in config.json", async () => {
  const identityFile = writeJson(join(base, 'identity.json'), { auths: { [registry.host]: { auth: basicAuth('<token>', ''), identitytoken: TOKEN_REFRESH } } });
  const identity = CredentialStore.load({ authFile: identityFile, env: {}, home: base });
  assert.equal(identity.lookup(registry.host, 'private/app'), { username: '<token>', password: '', identityToken: TOKEN_REFRESH });
  const before = registry.tokenRequests.length;
  assert.is((await pullImage(new ImageStore(join(base, 'data-identity')), `docker://${registry.host}/private/app:v1`, { credentials: identity })).id, image.manifest.digest);
  assert.ok(registry.tokenRequests.slice(before).every((r) => r.authenticated), 'the refresh grant was accepted');
  const wrongFile = writeJson(join(base, 'wrong-identity.json'), { auths: { [registry.host]: { identitytoken: 'stale' } } });
  const wrong = await rejection(pullImage(new ImageStore(join(base, 'data-wrong-identity')), `docker://${registry.host}/private/app:v1`, { credentials: CredentialStore.load({ authFile: wrongFile, env: {}, home: base }) }));
  assert.match(wrong.message, 'refused');
  const issued = await fetch(`${registry.tokenRealm}?service=podstage-test-registry&scope=repository:private/app:pull`, {
    headers: { authorization: `Basic ${basicAuth(TOKEN_USER, TOKEN_PASSWORD)}` },
  }).then((r) => r.json() as Promise<{ token: string }>);
  const tokenFile = writeJson(join(base, 'registry-token.json'), { auths: { [registry.host]: { registrytoken: issued.token } } });
  const asked = registry.tokenRequests.length;
  assert.is((await pullImage(new ImageStore(join(base, 'data-registry-token')), `docker://${registry.host}/private/app:v1`, { credentials: CredentialStore.load({ authFile: tokenFile, env: {}, home: base }) })).id, image.manifest.digest);
  assert.is(registry.tokenRequests.length, asked, 'a registry token needs no token server');
});

test('token-auth push with credentials asks for a pull,push scope', async () => {
  const authFile = writeJson(join(base, 'push.json'), { auths: { [registry.host]: { username: TOKEN_USER, password: TOKEN_PASSWORD } } });
  const client = new RegistryClient({ credentials: CredentialStore.load({ authFile, env: {}, home: base }) });
  const ref = parseDockerReference(`${registry.host}/private/pushed:v1`);
  const pushed = await client.pushBlob(ref, Buffer.from('pushed blob'));
  assert.match(pushed.digest, /^sha256:/);
  assert.ok(registry.tokenRequests.some((r) => r.scopes.includes('repository:private/pushed:pull,push')));
});

test('without credentials the pull is refused with a clear error and nothing stored', async () => {
  const store = new ImageStore(join(base, 'data-anonymous'));
  const err = await rejection(pullImage(store, `docker://${registry.host}/private/app:v1`, { credentials: new CredentialStore() }));
  assert.is(err.code, 'ERR_PODSTAGE_REGISTRY');
  assert.match(err.message, `docker://${registry.host}/private/app:v1`);
  assert.match(err.message, `registry ${registry.host} requires authentication for repository \`private/app\``);
  assert.match(err.message, `no credentials are configured for ${registry.host}`);
  assert.match(err.hint ?? '', 'auth.json');
  assert.equal(readdirSync(store.blobsDir), []);
  assert.equal(readdirSync(store.metaDir), []);
});

test('wrong credentials are refused naming the token server', async () => {
  const authFile = writeJson(join(base, 'wrong.json'), { auths: { [registry.host]: { auth: basicAuth(TOKEN_USER, 'wrong') } } });
  const err = await rejection(pullImage(new ImageStore(join(base, 'data-wrong')), `${registry.host}/private/app:v1`, { credentials: CredentialStore.load({ authFile, env: {}, home: base }) }));
  assert.match(err.message, 'refused the credentials configured for it');
  assert.not.match(err.message, 'wrong');
});

test('credentials of another host are not sent', async () => {
  const authFile = writeJson(join(base, 'other.json'), { auths: { 'other.example.com': { auth: basicAuth(TOKEN_USER, TOKEN_PASSWORD) } } });
  const before = registry.tokenRequests.length;
  await rejection(pullImage(new ImageStore(join(base, 'data-other')), `${registry.host}/private/app:v1`, { credentials: CredentialStore.load({ authFile, env: {}, home: base }) }));
  assert.ok(registry.tokenRequests.slice(before).every((r) => !r.authenticated));
});

test.run();
