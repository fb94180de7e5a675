import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { cosignSignatureTag, makePayload, parsePayload, repositoryOf } from '@podstage/images/trust';
import { DIGEST_A } from './keys.js';

function throwsMessage(fn: () => unknown, message: string): void {
  try {
    fn();
  } catch (err) {
    assert.is((err as Error).message, message);
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_SIGNATURE');
    return;
  }
  assert.unreachable(`expected: ${message}`);
}

test('makePayload writes exactly the cosign simple-signing JSON', () => {
  const payload = makePayload('127.0.0.1:5000/acme/app', DIGEST_A);
  assert.is(
    payload.toString('utf8'),
    `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/acme/app"},"image":{"docker-manifest-digest":"${DIGEST_A}"},"type":"cosign container image signature"},"optional":null}`,
  );
});

test('parsePayload round-trips makePayload', () => {
  assert.equal(parsePayload(makePayload('example.com/app', DIGEST_A)), {
    type: 'cosign container image signature',
    dockerReference: 'example.com/app',
    manifestDigest: DIGEST_A,
  });
});

test('parsePayload accepts atomic container signatures with optional fields', () => {
  const doc = { critical: { identity: { 'docker-reference': 'example.com/app:v1' }, image: { 'docker-manifest-digest': DIGEST_A }, type: 'atomic container signature' }, optional: { creator: 'skopeo' } };
  assert.is(parsePayload(Buffer.from(JSON.stringify(doc))).type, 'atomic container signature');
});

test('parsePayload says what is wrong', () => {
  throwsMessage(() => parsePayload(Buffer.from('not json')), 'signature payload: expected JSON, got something that does not parse');
  throwsMessage(() => parsePayload(Buffer.from('[1]')), 'signature payload: expected a JSON object');
  throwsMessage(() => parsePayload(Buffer.from('{"critical":{}}')), 'signature payload: expected a string at critical.type');
  throwsMessage(
    () => parsePayload(Buffer.from('{"critical":{"type":"in-toto attestation"}}')),
    'signature payload: expected type "cosign container image signature" or "atomic container signature", got "in-toto attestation"',
  );
  throwsMessage(
    () => parsePayload(Buffer.from('{"critical":{"type":"cosign container image signature","identity":{"docker-reference":"example.com/app"},"image":{}}}')),
    'signature payload: expected a string at critical.image.docker-manifest-digest',
  );
});

test('makePayload refuses malformed digests', () => {
  throwsMessage(() => makePayload('example.com/app', 'aaaa'), 'manifest digest "aaaa": expected `algorithm:hex`, e.g. sha256:<64 hex digits>');
});

test('signature tag and repository follow cosign and docker conventions', () => {
  assert.is(cosignSignatureTag(DIGEST_A), `sha256-${'a'.repeat(64)}.sig`);
  assert.is(repositoryOf('127.0.0.1:5000/acme/app:v1'), '127.0.0.1:5000/acme/app');
  assert.is(repositoryOf('127.0.0.1:5000/acme/app'), '127.0.0.1:5000/acme/app');
  assert.is(repositoryOf(`example.com/app@${DIGEST_A}`), 'example.com/app');
  assert.is(repositoryOf(`example.com/app:v1@${DIGEST_A}`), 'example.com/app');
});

test.run();
