/** The shared front half of `run` and `prepare`: command line → prepared pod. */
import { readFileSync, writeFileSync } from 'node:fs';
import { expandInsecureOptions, parsePodManifest, PodstageError, type PodManifest } from '@podstage/contract';
import type { GlobalOptions } from '../cli/command.js';
import { dataDir, openStore } from '../cli/context.js';
import { parsePodArgs, type PodArgs } from '../cli/pod-args.js';
import type { ImageStore } from '../image/store.js';
import { BUILTIN_STAGE1S } from '../stage1/builtins.js';
import { chooseStage1 } from '../stage1/select.js';
import { buildPodManifest, type ResolvedImage } from './build-manifest.js';
import { preparePod, type PreparedPod } from './prepare.js';

const TRANSPORT = /^(oci|oci-archive|docker-archive):/;

/** A name or id in the store, or a transport reference imported on the spot. */
export async function resolveImage(store: ImageStore, ref: string): Promise<ResolvedImage> {
  let record;
  if (TRANSPORT.test(ref)) {
    const { importImage } = await import('../image/import.js');
    record = await importImage(store, ref, {});
  } else {
    record = await store.resolve(ref);
  }
  return { record, config: await store.runConfig(record.id) };
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
    const images: ResolvedImage[] = [];
    for (const app of request.apps) images.push(await resolveImage(store, app.image));
    manifest = buildPodManifest(request, images);
  }
  const stage1 = await chooseStage1(
    { name: flags['stage1-name'] as string | undefined, path: flags['stage1-path'] as string | undefined, image: flags['stage1-image'] as string | undefined },
    manifest.annotations,
  );
  const insecureOptions = [...expandInsecureOptions([...g.insecureOptions, ...((flags['insecure-options'] as string[] | undefined) ?? [])])];
  const net = typeof flags.net === 'string' ? flags.net : 'host';
  if (net !== 'host' && net !== 'none') throw new PodstageError('ERR_PODSTAGE_USAGE', `--net: expected host or none, got ${JSON.stringify(net)} (CNI networks come later)`);
  if (stage1.builtin !== undefined) (await BUILTIN_STAGE1S[stage1.builtin]!()).check?.(manifest, { mutable, net, insecureOptions });
  const prepared = await preparePod(dir, store, manifest, stage1, { net, insecureOptions, mutable });
  if (typeof flags['uuid-file-save'] === 'string') writeFileSync(flags['uuid-file-save'], `${prepared.ref.uuid}\n`);
  return { prepared, flags, insecureOptions };
}
