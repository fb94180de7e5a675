/**
 * `docker://` image references, normalised the way Docker users expect:
 * `busybox` is `docker.io/library/busybox:latest`, and the first path
 * component names a registry only when it looks like a host (has `.` or `:`,
 * or is `localhost`).
 */
import { PodstageError } from '@podstage/contract/errors';

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

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const MAX_NAME_LENGTH = 255;

function usage(reference: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_USAGE', `image reference \`${reference}\`: ${expectation}`, {
    hint: 'write it as `docker://[REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST]`, e.g. `docker://busybox` or `docker://quay.io/coreos/etcd:v3.5.0`',
  });
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

function isValidHost(host: string): boolean {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::([0-9]{1,5}))?$/.exec(host);
  if (bracketed !== null) return true;
  const colon = host.lastIndexOf(':');
  const name = colon < 0 ? host : host.slice(0, colon);
  if (colon >= 0 && !PORT.test(host.slice(colon + 1))) return false;
  return name.length > 0 && name.split('.').every((label) => HOST_LABEL.test(label));
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
  let rest = reference.startsWith(DOCKER_TRANSPORT) ? reference.slice(DOCKER_TRANSPORT.length) : reference;
  if (rest === '') throw usage(input, 'expected a repository name');

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw usage(input, `digest \`${digest}\` is not \`sha256:\` followed by 64 lower-case hex digits`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const tagColon = rest.indexOf(':', lastSlash + 1);
  if (tagColon >= 0) {
    tag = rest.slice(tagColon + 1);
    rest = rest.slice(0, tagColon);
    if (!TAG.test(tag)) throw usage(input, `tag \`${tag}\` must match \`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\``);
  }

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
    if (!PATH_COMPONENT.test(component)) {
      throw usage(
        input,
        component === ''
          ? 'expected a repository name without empty path components'
          : `repository component \`${component}\` must be lower-case letters and digits, separated by \`.\`, \`_\`, \`__\` or \`-\``,
      );
    }
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
