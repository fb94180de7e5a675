/** The slices of the OCI image spec the importers read, with validation. */
import { readFileSync, statSync } from 'node:fs';
import { PodstageError } from '@podstage/contract/errors';
import { parseDigest } from './digest.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** JSON documents (index, manifest, config) are small; refuse anything absurd. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

function invalid(what: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: ${expectation}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: not valid JSON`, { cause: err });
  }
}

export function readJsonFile(path: string, what: string): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: cannot read \`${path}\` (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  if (size > MAX_JSON_BYTES) throw invalid(what, `\`${path}\` is ${size} bytes, expected at most ${MAX_JSON_BYTES}`);
  return parseJson(readFileSync(path, 'utf8'), what);
}

export function parseDescriptor(value: unknown, what: string, defaultMediaType?: string): Descriptor {
  if (!isObject(value)) throw invalid(what, 'expected a descriptor object');
  const mediaType = value['mediaType'] ?? defaultMediaType;
  if (typeof mediaType !== 'string') throw invalid(what, 'field `mediaType` must be a string');
  if (typeof value['digest'] !== 'string') throw invalid(what, 'field `digest` must be a string');
  parseDigest(value['digest'], `${what} field \`digest\``);
  const size = value['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(what, 'field `size` must be a non-negative integer');
  const descriptor: Descriptor = { mediaType, digest: value['digest'], size };
  const annotations = value['annotations'];
  if (isObject(annotations)) {
    descriptor.annotations = Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  const platform = value['platform'];
  if (isObject(platform) && typeof platform['architecture'] === 'string' && typeof platform['os'] === 'string') {
    descriptor.platform = { architecture: platform['architecture'], os: platform['os'] };
    if (typeof platform['variant'] === 'string') descriptor.platform.variant = platform['variant'];
  }
  return descriptor;
}

export function parseIndex(value: unknown, what: string): ImageIndex {
  if (!isObject(value)) throw invalid(what, 'expected an OCI image index object');
  if (value['schemaVersion'] !== 2) throw invalid(what, `field \`schemaVersion\` is ${JSON.stringify(value['schemaVersion'])}, expected 2`);
  const manifests = value['manifests'];
  if (!Array.isArray(manifests)) throw invalid(what, 'field `manifests` must be an array');
  return {
    schemaVersion: 2,
    manifests: manifests.map((m, i) => parseDescriptor(m, `${what} manifests[${i}]`)),
  };
}

export function parseManifest(value: unknown, what: string): ImageManifest {
  if (!isObject(value)) throw invalid(what, 'expected an image manifest object');
  if (value['schemaVersion'] !== 2) throw invalid(what, `field \`schemaVersion\` is ${JSON.stringify(value['schemaVersion'])}, expected 2`);
  const layers = value['layers'];
  if (!Array.isArray(layers)) throw invalid(what, 'field `layers` must be an array');
  const manifest: ImageManifest = {
    schemaVersion: 2,
    config: parseDescriptor(value['config'], `${what} config`),
    layers: layers.map((l, i) => parseDescriptor(l, `${what} layers[${i}]`)),
  };
  if (typeof value['mediaType'] === 'string') manifest.mediaType = value['mediaType'];
  return manifest;
}

/** The host's platform in OCI terms. */
export function hostPlatform(): Platform {
  const architectures: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { architecture: architectures[process.arch] ?? process.arch, os: 'linux' };
}
