/**
 * `docker://` image references, normalised the way Docker users expect:
 * `busybox` is `docker.io/library/busybox:latest`, and the first path
 * component names a registry only when it looks like a host (has `.` or `:`,
 * or is `localhost`).
 */
import { PodstageError } from '@podstage/contract/errors';
import { digestProblem, isValidHost, MAX_NAME_LENGTH, pathComponentProblem, splitReference, tagProblem } from '../image/reference-grammar.js';

export const DOCKER_TRANSPORT = 'docker://';
export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API answers here, not at `docker.io`. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
const DEFAULT_TAG = 'latest';

export interface DockerReference {
  /** Registry host[:port] as the user means it, `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  /** `sha256:<hex>`; when present it is what gets pulled, the tag is informational. */
  digest?: string;
  /** Canonical `registry/repository:tag`, or `registry/repository@digest`. */
  name: string;
}

function usage(reference: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_USAGE', `image reference \`${reference}\`: ${expectation}`, {
    hint: 'write it as `docker://[REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST]`, e.g. `docker://busybox` or `docker://quay.io/coreos/etcd:v3.5.0`',
  });
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** Docker Hub under any of its names is `docker.io`. */
export function canonicalRegistry(host: string): string {
  return DOCKER_HUB_ALIASES.includes(host.toLowerCase()) ? DOCKER_HUB : host;
}

/** The host to talk HTTP to for a registry name. */
export function apiHost(registry: string): string {
  return canonicalRegistry(registry) === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

export function isDockerReference(value: string): boolean {
  return value.startsWith(DOCKER_TRANSPORT);
}

/** Parses `docker://…` or the same without the transport prefix. */
export function parseDockerReference(input: string): DockerReference {
  const reference = input.trim();
  const written = reference.startsWith(DOCKER_TRANSPORT) ? reference.slice(DOCKER_TRANSPORT.length) : reference;
  if (written === '') throw usage(input, 'expected a repository name');
  const { name: rest, digest, ...parts } = splitReference(written);
  let tag = parts.tag;
  const partProblem = (digest === undefined ? undefined : digestProblem(digest)) ?? (tag === undefined ? undefined : tagProblem(tag));
  if (partProblem !== undefined) throw usage(input, partProblem);

  const components = rest.split('/');
  let registry = DOCKER_HUB;
  const first = components[0];
  if (components.length > 1 && first !== undefined && looksLikeHost(first)) {
    if (!isValidHost(first)) throw usage(input, `registry \`${first}\` is not a valid host[:port]`);
    registry = canonicalRegistry(first);
    components.shift();
  }
  if (registry === DOCKER_HUB && components.length === 1) components.unshift('library');
  for (const component of components) {
    const problem = pathComponentProblem(component);
    if (problem !== undefined) throw usage(input, problem);
  }
  const repository = components.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) throw usage(input, `expected a name of at most ${MAX_NAME_LENGTH} characters`);

  if (digest === undefined && tag === undefined) tag = DEFAULT_TAG;
  const name = digest !== undefined ? `${registry}/${repository}@${digest}` : `${registry}/${repository}:${tag}`;
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }), name };
}

/** What a registry is asked for: the digest when pinned, else the tag. */
export function manifestReference(ref: DockerReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

export function formatReference(ref: DockerReference): string {
  return `${DOCKER_TRANSPORT}${ref.name}`;
}
