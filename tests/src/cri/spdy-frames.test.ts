/**
 * The streaming server's protocol pieces without a server: SPDY/3 frames split
 * from a byte stream however it arrives, header blocks through one zlib
 * context per direction, the remote command channels a request needs, resize
 * messages, one-time tokens and the final status.
 */
import { PassThrough } from 'node:stream';
import { constants, inflateSync } from 'node:zlib';
import * as assert from 'uvu/assert';
import {
  controlFrame, dataFrame, decodeHeaders, encodeHeaders, exitStatus, expectedChannels, FLAG_FIN, FrameType, HeaderCompression,
  readFrames, readResizes, RequestCache, SPDY3_DICTIONARY, uint32s,
} from '@podstage/cri/streaming';
import { test } from '../helpers/suite.js';

test('frames: control and data frames round-trip, a partial frame waits for its rest', () => {
  const ping = controlFrame(FrameType.PING, 0, uint32s(7));
  assert.equal([...ping.subarray(0, 8)], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04], 'SPDY/3 control header');
  const data = dataFrame(5, FLAG_FIN, Buffer.from('hello'));
  const both = Buffer.concat([ping, data]);
  for (let cut = 0; cut <= both.length; cut++) {
    const first = readFrames(both.subarray(0, cut));
    const second = readFrames(Buffer.concat([first.rest, both.subarray(cut)]));
    const frames = [...first.frames, ...second.frames];
    assert.is(frames.length, 2, `cut at ${cut}`);
    assert.is(second.rest.length, 0);
    const [p, d] = frames;
    assert.ok(p?.control === true && p.type === FrameType.PING && p.payload.readUInt32BE(0) === 7);
    assert.ok(d?.control === false && d.streamId === 5 && d.flags === FLAG_FIN && d.payload.toString() === 'hello');
  }
  assert.throws(() => readFrames(Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 0])), /SPDY version 2/);
});

test('headers: name/value blocks; one zlib context over a session, with the SPDY/3 dictionary', async () => {
  assert.is(SPDY3_DICTIONARY.length, 1423, "the draft's dictionary is 1423 bytes");
  assert.equal(decodeHeaders(encodeHeaders({ StreamType: 'stdout', port: '80' })), { streamtype: 'stdout', port: '80' }, 'names are lower case');
  const sender = new HeaderCompression(), receiver = new HeaderCompression();
  const blocks = [];
  const sent: Record<string, string>[] = [{ streamtype: 'error' }, { streamtype: 'stdin' }, { streamtype: 'resize', ':status': '200' }];
  for (const h of sent) {
    const block = await sender.encode(h);
    blocks.push(block);
    assert.equal(await receiver.decode(block), h);
  }
  // The first block alone inflates with the dictionary (a fresh peer can read it); later ones need the context.
  assert.equal(decodeHeaders(inflateSync(blocks[0]!, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })), { streamtype: 'error' });
  sender.close();
  receiver.close();
});

test('channels: what a request needs, resize messages however they are split', async () => {
  assert.equal(expectedChannels({ stdin: true, stdout: true, stderr: true, tty: false }), ['error', 'stdin', 'stdout', 'stderr']);
  assert.equal(expectedChannels({ stdin: true, stdout: true, stderr: false, tty: true }), ['error', 'stdin', 'stdout', 'resize']);
  assert.equal(expectedChannels({ stdin: false, stdout: true, stderr: true, tty: true }), ['error', 'stdout', 'resize'], 'a terminal carries stderr');
  const resize = new PassThrough();
  const sizes: unknown[] = [];
  readResizes(resize, (s) => sizes.push(s));
  resize.write('{"Width":80,"He');
  resize.write('ight":24}\n{"Width":120,"Height":40}{"bogus":1}\n');
  await new Promise((r) => setImmediate(r));
  assert.equal(sizes, [{ columns: 80, rows: 24 }, { columns: 120, rows: 40 }]);
});

test('tokens are good once; the final status carries the exit code as clients read it', () => {
  const cache = new RequestCache();
  const token = cache.insert({ kind: 'portforward', sandboxId: 'x', ports: [] });
  assert.match(token, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(cache.consume(token), { kind: 'portforward', sandboxId: 'x', ports: [] });
  assert.is(cache.consume(token), undefined);
  assert.equal(JSON.parse(exitStatus(0)), { metadata: {}, status: 'Success' });
  const failed = JSON.parse(exitStatus(3));
  assert.is(failed.reason, 'NonZeroExitCode');
  assert.equal(failed.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test.run();
