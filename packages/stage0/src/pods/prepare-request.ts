/** The shared front half of `run` and `prepare`: command line → prepared pod. */
import { readFileSync, writeFileSync } from 'node:fs';
import { expandInsecureOptions, parsePodManifest, PodstageError, type OutputMode, type PodManifest } from '@podstage/contract';
import { resolveIdentity } from '@podstage/stage1-common/users';
import type { GlobalOptions } from '../cli/command.js';
import { configDir, dataDir, openStore } from '../cli/context.js';
import { parsePodArgs, type PodArgs } from '../cli/pod-args.js';
import type { ImageStore } from '@podstage/images';
import { fetchImage, isFetchable, parsePullPolicy, type FetchImageOptions } from '@podstage/images';
import { withProgress } from '../cli/progress.js';
import { BUILTIN_STAGE1S } from '../stage1/builtins.js';
import { chooseStage1 } from '../stage1/select.js';
import { buildPodManifest, type PodRequest, type ResolvedImage } from './build-manifest.js';
import { checkPodInputs, manifestFields, type FieldLabel } from './prepare-checks.js';
import { discardPod, preparePod, type PreparedPod } from './prepare.js';

/** A name or id in the store, or a reference fetched on the spot under the pull policy. */
export async function resolveImage(store: ImageStore, ref: string, o: FetchImageOptions): Promise<ResolvedImage> {
  const record = isFetchable(ref) || o.pullPolicy === 'never' ? await fetchImage(store, ref, o) : store.resolve(ref);
  return { record, config: store.runConfig(record.id) };
}

function outputMode(flag: string, value: unknown): OutputMode {
  if (value === undefined) return 'stream';
  if (value === 'stream' || value === 'log' || value === 'null') return value;
  throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: expected stream, log or null, got ${JSON.stringify(value)}`);
}

/** `--user=NAME` without `--group`: the user's primary group from the image's /etc/passwd (Docker's rule). */
async function fillPrimaryGroups(store: ImageStore, request: PodArgs['request'], images: ResolvedImage[]): Promise<void> {
  for (const [i, app] of request.apps.entries()) {
    if (app.user === undefined || app.group !== undefined) continue;
    const tree = await store.treePath(images[i]!.record.id);
    const fields = { user: app.origins['app.user'] ?? `--user=${app.user}`, group: '--group' };
    app.group = String(resolveIdentity(tree, app.name ?? `#${i}`, app.user, '', [], fields).gid);
  }
}

/** Manifest fields back to the flags they came from (the manifest's apps are the request's, in order). */
function flagLabels(request: PodRequest, m: PodManifest): FieldLabel {
  const typed = new Map(Object.entries(request.origins));
  m.apps.forEach((app, i) => {
    for (const [field, flag] of Object.entries(request.apps[i]?.origins ?? {})) typed.set(`apps[${app.name}].${field}`, flag);
  });
  return (field) => typed.get(field) ?? field;
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

export interface PreparedRequest {
  prepared: PreparedPod;
  flags: PodArgs['flags'];
  insecureOptions: string[];
}

export async function prepareFromArgs(g: GlobalOptions, argv: string[], { mutable = false } = {}): Promise<PreparedRequest> {
  const { request, flags } = parsePodArgs(argv);
  const dir = dataDir(g);
  const store = await openStore(g);
  let manifest: PodManifest;
  let label = manifestFields;
  const manifestFile = flags['pod-manifest'];
  if (typeof manifestFile === 'string') {
    if (request.apps.length > 0) throw new PodstageError('ERR_PODSTAGE_USAGE', '--pod-manifest cannot be combined with images');
    let text: string;
    try {
      text = readFileSync(manifestFile, 'utf8');
    } catch (err) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `--pod-manifest: cannot read ${manifestFile} (${(err as NodeJS.ErrnoException).code})`);
    }
    manifest = parsePodManifest(text, manifestFile);
    for (const app of manifest.apps) await store.resolve(app.image.id);
  } else {
    if (request.apps.length === 0 && !mutable) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', 'expected an image: podstage run [FLAGS] IMAGE [APP FLAGS] [-- COMMAND ARGS]');
    }
    const fetchOptions: FetchImageOptions = {
      pullPolicy: parsePullPolicy(flags['pull-policy'], 'new'),
      insecureOptions: expandInsecureOptions([...g.insecureOptions, ...((flags['insecure-options'] as string[] | undefined) ?? [])]),
      configDir: configDir(g),
      authFile: flags.authfile as string | undefined,
      log: (line) => process.stderr.write(`${line}\n`),
    };
    const images: ResolvedImage[] = [];
    for (const app of request.apps) images.push(await withProgress((onProgress) => resolveImage(store, app.image, { ...fetchOptions, onProgress })));
    await fillPrimaryGroups(store, request, images);
    manifest = buildPodManifest(request, images);
    label = flagLabels(request, manifest);
  }
  await checkPodInputs(manifest, (id) => store.treePath(id), label);
  const stage1 = await chooseStage1(
    { name: flags['stage1-name'] as string | undefined, path: flags['stage1-path'] as string | undefined, image: flags['stage1-image'] as string | undefined },
    manifest.annotations,
  );
  const insecureOptions = [...expandInsecureOptions([...g.insecureOptions, ...((flags['insecure-options'] as string[] | undefined) ?? [])])];
  // "default": each stage1 picks its own (host for fly, host and runc; none for kvm).
  const net = typeof flags.net === 'string' ? flags.net : 'default';
  if (net !== 'host' && net !== 'none' && net !== 'default') throw new PodstageError('ERR_PODSTAGE_USAGE', `--net: expected host or none, got ${JSON.stringify(net)} (CNI networks come later)`);
  const output = { stdout: outputMode('--stdout', flags.stdout), stderr: outputMode('--stderr', flags.stderr) };
  const interactive = flags.interactive === true;
  if (interactive && manifest.apps.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', `--interactive needs a pod with exactly one app, this one has ${manifest.apps.length}`);
  if (stage1.builtin !== undefined) (await BUILTIN_STAGE1S[stage1.builtin]!()).check?.(manifest, { mutable, net, insecureOptions, ...output, interactive, ...(typeof flags.runtime === 'string' ? { ociRuntime: flags.runtime } : {}) });
  const ociRuntime = typeof flags.runtime === 'string' ? { ociRuntime: flags.runtime } : {};
  const prepared = await preparePod(dir, store, manifest, stage1, { net, insecureOptions, mutable, ...output, interactive, ...ociRuntime });
  if (typeof flags['uuid-file-save'] === 'string') await saveUuid(dir, prepared, flags['uuid-file-save']);
  return { prepared, flags, insecureOptions };
}
