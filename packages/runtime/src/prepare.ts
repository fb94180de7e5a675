/**
 * prepare: a pod spec (images, apps, volumes, isolators, annotations) or a
 * ready pod manifest → a prepared pod on disk, after every check that can be
 * made before anything is written (images fetched and verified, users and
 * groups in the images, seccomp names, volume paths, what the stage1 refuses).
 */
import { checkCgroupParent, cniNetworks, DEFAULT_CONFIG_DIR, PodstageError, type OutputMode, type PodManifest, type PodOptions, type PortMapping, type DnsOptions } from '@podstage/contract';
import { fetchImage, isFetchable, type FetchImageOptions, type ImageStore } from '@podstage/images';
import { resolveIdentity } from '@podstage/linux';
import { buildPodManifest, type PodRequest, type ResolvedImage } from './pods/build-manifest.js';
import { checkNetworks, resolveNet } from './pods/network.js';
import { manifestPortMappings } from './pods/ports.js';
import { checkPodInputs, manifestFields, relabelField, type FieldLabel } from './pods/prepare-checks.js';
import { preparePod, type PreparedPod } from './pods/prepare.js';
import type { Stage1Registry } from './stage1/registry.js';
import { chooseStage1, type Stage1Flags } from './stage1/select.js';
import { checkAppsForStage1, checkPodForStage1 } from './stage1/abi-features.js';

/** What a pod is made of, as plain data (the CLI builds it from flags, a CRI server from a request). */
export type PodSpec = PodRequest;

export interface PrepareOptions {
  dataDir: string;
  store: ImageStore;
  stage1s: Stage1Registry;
  /** How an image that is not in the store is fetched: pull policy, credentials, progress. */
  fetch: FetchImageOptions;
  /** An explicit stage1 (else the pod's annotations, else the registry's default). */
  stage1?: Stage1Flags;
  /** `default` lets the stage1 choose; else host, none, or CNI network names (`podstage`: the default bridge). */
  net?: string;
  /** Host ports forwarded to the pod (CNI networks only). */
  portMappings?: PortMapping[];
  /** The pod's host name, resolv.conf and extra /etc/hosts lines (PodOptions). */
  hostname?: string;
  dns?: DnsOptions;
  hostsEntries?: string[];
  /** Where CNI network configurations are (`<dir>/net.d`); DEFAULT_CONFIG_DIR when not given. */
  configDir?: string;
  insecureOptions?: string[];
  /** A sandbox whose apps come and go (app add/start/stop/rm). */
  mutable?: boolean;
  stdout?: OutputMode;
  stderr?: OutputMode;
  interactive?: boolean;
  ociRuntime?: string;
  /** The cgroup the pod's cgroup is made in (the kubelet's pod cgroup, podman's --cgroup-parent; ABI 9). */
  cgroupParent?: string;
}

/** The first ABI whose stage1s make the pod's cgroup under a cgroup parent. */
const CGROUP_PARENT_ABI = 9;

/** A name or id in the store, or a reference fetched on the spot under the pull policy. */
export async function resolveImage(store: ImageStore, ref: string, o: FetchImageOptions): Promise<ResolvedImage> {
  const record = isFetchable(ref) || o.pullPolicy === 'never' ? await fetchImage(store, ref, o) : store.resolve(ref);
  return { record, config: store.runConfig(record.id) };
}

/** A user without a group: the user's primary group from the image's /etc/passwd (Docker's rule). */
async function fillPrimaryGroups(store: ImageStore, spec: PodSpec, images: ResolvedImage[]): Promise<void> {
  for (const [i, app] of spec.apps.entries()) {
    if (app.user === undefined || app.group !== undefined) continue;
    const tree = await store.treePath(images[i]!.record.id);
    const fields = { user: app.origins['app.user'] ?? `user ${app.user}`, group: 'group' };
    app.group = String(resolveIdentity(tree, app.name ?? `#${i}`, app.user, '', [], fields).gid);
  }
}

/** Manifest fields back to what the caller called them (the spec's origins; the manifest's apps are the spec's, in order). */
function originLabels(spec: PodSpec, m: PodManifest): FieldLabel {
  const typed = new Map(Object.entries(spec.origins));
  m.apps.forEach((app, i) => {
    for (const [field, origin] of Object.entries(spec.apps[i]?.origins ?? {})) typed.set(`apps[${app.name}].${field}`, origin);
  });
  return (field) => typed.get(field) ?? field;
}

async function manifestOf(input: { spec: PodSpec } | { manifest: PodManifest }, o: PrepareOptions): Promise<{ manifest: PodManifest; label: FieldLabel }> {
  if ('manifest' in input) {
    for (const app of input.manifest.apps) await o.store.resolve(app.image.id);
    return { manifest: input.manifest, label: manifestFields };
  }
  const images: ResolvedImage[] = [];
  for (const app of input.spec.apps) images.push(await resolveImage(o.store, app.image, o.fetch));
  await fillPrimaryGroups(o.store, input.spec, images);
  const manifest = buildPodManifest(input.spec, images);
  return { manifest, label: originLabels(input.spec, manifest) };
}

export async function prepare(input: { spec: PodSpec } | { manifest: PodManifest }, o: PrepareOptions): Promise<PreparedPod> {
  const { manifest, label } = await manifestOf(input, o);
  await checkPodInputs(manifest, (id) => o.store.treePath(id), label);
  const stage1 = await chooseStage1(o.stage1s, o.stage1 ?? {}, manifest.annotations);
  const options: PodOptions = {
    net: resolveNet(o.net ?? 'default', stage1.manifest),
    insecureOptions: o.insecureOptions ?? [],
    mutable: o.mutable === true,
    stdout: o.stdout ?? 'stream',
    stderr: o.stderr ?? 'stream',
    interactive: o.interactive === true,
    ...(o.ociRuntime === undefined ? {} : { ociRuntime: o.ociRuntime }),
    ...(o.portMappings === undefined || o.portMappings.length === 0 ? {} : { portMappings: o.portMappings }),
    ...(o.hostname === undefined ? {} : { hostname: o.hostname }),
    ...(o.dns === undefined ? {} : { dns: o.dns }),
    ...(o.hostsEntries === undefined ? {} : { hostsEntries: o.hostsEntries }),
    ...(o.cgroupParent === undefined ? {} : { cgroupParent: `/${checkCgroupParent(o.cgroupParent)}` }),
  };
  if (options.cgroupParent !== undefined && stage1.manifest.abiVersion < CGROUP_PARENT_ABI) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `--cgroup-parent: stage1 ${stage1.manifest.name} (ABI ${stage1.manifest.abiVersion}) cannot make the pod's cgroup under a parent (ABI ${CGROUP_PARENT_ABI})`, { hint: 'use stage1 host, runc or kvm' });
  }
  const forwarded = manifestPortMappings(manifest).length > 0 || options.portMappings !== undefined;
  if (forwarded && cniNetworks(options.net).length === 0) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `--publish/--port: ports are forwarded to a pod on a CNI network, not with --net=${options.net}`, { hint: '--net=podstage (the default bridge network) or a named network' });
  }
  if (cniNetworks(options.net).length > 0 && stage1.manifest.abiVersion < 3) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `--net=${options.net}: stage1 ${stage1.manifest.name} (ABI ${stage1.manifest.abiVersion}) cannot join a CNI network (ABI 3)`, { hint: 'use --net=host or none, or stage1 host or runc' });
  }
  await checkNetworks(o.configDir ?? DEFAULT_CONFIG_DIR, options.net);
  checkPodForStage1(manifest, stage1.manifest);
  checkAppsForStage1(manifest.apps, stage1.manifest);
  if (options.interactive && manifest.apps.length !== 1) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `--interactive needs a pod with exactly one app, this one has ${manifest.apps.length}`);
  }
  if (stage1.builtin !== undefined) {
    const impl = await o.stage1s.builtins[stage1.builtin]!();
    try {
      impl.check?.(manifest, options);
    } catch (err) {
      throw relabelField(err, label);
    }
  }
  return preparePod(o.dataDir, o.store, manifest, stage1, options);
}
