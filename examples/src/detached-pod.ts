/**
 * A front end other than the CLI, in a few lines: prepare a pod, start it in
 * detach mode (this program stays free while the pod runs), wait for it to
 * exit, read its exit status and remove it — through @podstage/runtime only.
 *
 *   node examples/dist/detached-pod.js --dir=DATA --stage1-path=DIR IMAGE [-- COMMAND ARGS...]
 *
 * Prints one JSON line: {"uuid", "pid", "exitCode"}. The stage1 is named by its
 * directory (any stage1 that follows ABI.md), so this program lists no built-ins.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageStore } from '@podstage/images';
import { findPod, podInfo, podState, prepare, removePod, startDetached, type PodSpec, type Stage1Registry } from '@podstage/runtime';

const { values, positionals } = parseArgs({ options: { dir: { type: 'string' }, 'stage1-path': { type: 'string' } }, allowPositionals: true });
const [image, ...command] = positionals;
if (values.dir === undefined || values['stage1-path'] === undefined || image === undefined) {
  process.stderr.write('usage: detached-pod --dir=DATA --stage1-path=DIR IMAGE [-- COMMAND ARGS...]\n');
  process.exit(2);
}
const dataDir = values.dir;

const stage1s: Stage1Registry = {
  builtins: {},
  builtinDir: (name) => {
    throw new Error(`no built-in stage1 ${name}`);
  },
  defaultName: 'host',
};

const spec: PodSpec = {
  apps: [{ image, args: command, env: {}, mounts: [], isolators: [], annotations: [], origins: {} }],
  volumes: [], annotations: [], isolators: [], env: {}, origins: {},
};

const prepared = await prepare({ spec }, {
  dataDir, store: new ImageStore(dataDir), stage1s,
  fetch: { pullPolicy: 'never', insecureOptions: new Set(), configDir: '/etc/podstage' },
  stage1: { path: values['stage1-path'] },
  stdout: 'log', stderr: 'log',
});
const started = await startDetached(dataDir, stage1s, prepared.ref, { interactive: false, debug: false }, { held: prepared.lock });

while (podState(findPod(dataDir, started.uuid)) === 'running') await sleep(50);
const exitCode = podInfo(findPod(dataDir, started.uuid)).apps[0]?.exitCode;
await removePod(dataDir, stage1s, started.uuid);
process.stdout.write(`${JSON.stringify({ uuid: started.uuid, pid: started.pid, exitCode })}\n`);
