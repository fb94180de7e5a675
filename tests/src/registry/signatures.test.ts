/** cosign-style signature artifacts: the `sha256-<hex>.sig` tag next to the image. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { RegistryClient } from '@podstage/images/registry';
import { parseDockerReference } from '@podstage/images/registry';
import { tempDir } from '../helpers/fs-snapshot.js';
import { gzipLayer, startRegistry, writeImageLayout, type TestImage, type TestRegistry } from '../helpers/registry.js';

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let base = '';
let registry: TestRegistry;
let image: TestImage;

test.before(async () => {
  base = tempDir('registry-signatures');
  registry = await startRegistry();
  image = writeImageLayout(join(base, 'layout'), [gzipLayer([{ path: 'signed', content: 'signed\n' }])]);
  await registry.pushLayout(join(base, 'layout'), 'podstage/signed:v1');
});

test.after(async () => {
  await registry?.stop();
  rmSync(base, { recursive: true, force: true });
});

test('no `.sig` tag: no signature artifacts', async () => {
  const client = new RegistryClient();
  assert.equal(await client.listSignatureArtifacts(parseDockerReference(`${registry.host}/podstage/signed:v1`), image.manifest.digest), []);
});

test('a pushed cosign signature manifest is listed with its payload and annotations', async () => {
  const client = new RegistryClient();
  const ref = parseDockerReference(`${registry.host}/podstage/signed:v1`);
  const payload = Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': `${registry.host}/podstage/signed` }, image: { 'docker-manifest-digest': image.manifest.digest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
  const annotations = { 'dev.cosignproject.cosign/signature': Buffer.from('not a real signature').toString('base64') };
  const layer = await client.pushBlob(ref, payload);
  const config = await client.pushBlob(ref, Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
  assert.equal(await client.pushBlob(ref, payload), layer, 'pushing the same blob again is a no-op');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: SIMPLE_SIGNING, ...layer, annotations }],
    }),
  );
  const tag = `sha256-${image.manifest.digest.slice(7)}.sig`;
  await client.pushManifest(ref, tag, manifest, OCI_MANIFEST);

  const artifacts = await client.listSignatureArtifacts(ref, image.manifest.digest);
  assert.is(artifacts.length, 1);
  assert.is(artifacts[0]?.mediaType, SIMPLE_SIGNING);
  assert.ok(artifacts[0]?.payload.equals(payload));
  assert.equal(artifacts[0]?.annotations, annotations);
});

test.run();
