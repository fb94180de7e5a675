/** The shared front half of `run`, `prepare` and `app sandbox`: command line → pod spec → prepared pod (@podstage/runtime). */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkCgroupParent, expandInsecureOptions, parsePodManifest, PodstageError, type OutputMode, type PodManifest } from '@podstage/contract';
import { parsePullPolicy, type FetchImageOptions } from '@podstage/images';
import { discardPod, prepare, type PreparedPod } from '@podstage/runtime';
import type { GlobalOptions, OptionSpec } from './command.js';
import { configDir, dataDir, openStore } from './context.js';
import { parsePodArgs, type PodArgs } from './pod-args.js';
import { withProgress } from './progress.js';
import { nameFlags } from './dns-args.js';
import { parsePort, parsePublish } from './publish.js';
import { STAGE1S } from '../stage1s.js';

/** host, none, default, or CNI network names separated by commas. */
const NET_VALUE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*(,[a-zA-Z0-9][a-zA-Z0-9_.-]*)*$/;

function outputMode(flag: string, value: unknown): OutputMode {
  if (value === undefined) return 'stream';
  if (value === 'stream' || value === 'log' || value === 'null') return value;
  throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: expected stream, log or null, got ${JSON.stringify(value)}`);
}

function readManifestFlag(file: string): PodManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `--pod-manifest: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
  }
  return parsePodManifest(text, file);
}

/** --uuid-file-save: a file that cannot be written takes the pod with it, so nothing is left half-made. */
async function saveUuid(dataDir: string, prepared: PreparedPod, file: string): Promise<void> {
  try {
    writeFileSync(file, `${prepared.ref.uuid}\n`);
  } catch (err) {
    await discardPod(dataDir, prepared);
    throw new PodstageError('ERR_PODSTAGE_USAGE', `--uuid-file-save=${file}: cannot write the file (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** How the CLI fetches an image that is not in the store: flags, credentials, progress on stderr. */
export function cliFetchOptions(g: GlobalOptions, flags: PodArgs['flags']): FetchImageOptions {
  return {
    pullPolicy: parsePullPolicy(flags['pull-policy'], 'new'),
    insecureOptions: expandInsecureOptions([...g.insecureOptions, ...((flags['insecure-options'] as string[] | undefined) ?? [])]),
    configDir: configDir(g),
    authFile: flags.authfile as string | undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

export interface PreparedRequest {
  prepared: PreparedPod;
  flags: PodArgs['flags'];
  insecureOptions: string[];
}

export interface PrepareFromArgsOptions {
  mutable?: boolean;
  /** A command's own pod flags (run's --detach). */
  extraPodOptions?: Record<string, OptionSpec>;
  /** Refuse flag combinations before anything is written. */
  checkFlags?: (flags: PodArgs['flags']) => void;
}

export async function prepareFromArgs(g: GlobalOptions, argv: string[], { mutable = false, extraPodOptions = {}, checkFlags }: PrepareFromArgsOptions = {}): Promise<PreparedRequest> {
  const { request, flags } = parsePodArgs(argv, extraPodOptions);
  checkFlags?.(flags);
  const manifestFile = flags['pod-manifest'];
  if (typeof manifestFile === 'string' && request.apps.length > 0) throw new PodstageError('ERR_PODSTAGE_USAGE', '--pod-manifest cannot be combined with images');
  if (typeof manifestFile !== 'string' && request.apps.length === 0 && !mutable) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', 'expected an image: podstage run [FLAGS] IMAGE [APP FLAGS] [-- COMMAND ARGS]');
  }
  const fetch = cliFetchOptions(g, flags);
  const insecureOptions = [...fetch.insecureOptions];
  // "default": the default CNI network for a stage1 of ABI 3, the stage1's own choice for an older one (runtime's resolveNet).
  const net = typeof flags.net === 'string' ? flags.net : 'default';
  if (!NET_VALUE.test(net)) throw new PodstageError('ERR_PODSTAGE_USAGE', `--net: expected host, none, default or CNI network names NAME[,NAME...], got ${JSON.stringify(net)}`);
  const portMappings = ((flags.publish as string[] | undefined) ?? []).map(parsePublish);
  const ports = ((flags.port as string[] | undefined) ?? []).map(parsePort);
  if (ports.length > 0) request.ports = ports;
  const cgroupParent = flags['cgroup-parent'];
  if (typeof cgroupParent === 'string') checkCgroupParent(cgroupParent, '--cgroup-parent');
  const dir = dataDir(g);
  const store = await openStore(g);
  const prepared = await withProgress((onProgress) => prepare(typeof manifestFile === 'string' ? { manifest: readManifestFlag(manifestFile) } : { spec: request }, {
    dataDir: dir, store, stage1s: STAGE1S,
    fetch: { ...fetch, onProgress },
    stage1: { name: flags['stage1-name'] as string | undefined, path: flags['stage1-path'] as string | undefined, image: flags['stage1-image'] as string | undefined },
    net, portMappings, ...nameFlags(flags), configDir: configDir(g), insecureOptions, mutable,
    stdout: outputMode('--stdout', flags.stdout), stderr: outputMode('--stderr', flags.stderr),
    interactive: flags.interactive === true,
    ...(typeof flags.runtime === 'string' ? { ociRuntime: flags.runtime } : {}),
    ...(typeof cgroupParent === 'string' ? { cgroupParent } : {}),
  }));
  if (typeof flags['uuid-file-save'] === 'string') await saveUuid(dir, prepared, flags['uuid-file-save']);
  return { prepared, flags, insecureOptions };
}
