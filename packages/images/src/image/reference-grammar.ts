/**
 * The distribution reference grammar (github.com/distribution/reference),
 * shared by `docker://` references and the names the store keeps:
 *
 *   [HOST[:PORT]/]COMPONENT(/COMPONENT)*[:TAG][@sha256:HEX]
 *
 * Each check answers what is wrong, or undefined when the part is valid.
 */

export const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;

export interface ReferenceParts {
  /** Everything before the tag: `[HOST[:PORT]/]PATH`. */
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits off `@digest`, then a `:tag` in the last path component. */
export function splitReference(reference: string): ReferenceParts {
  let name = reference;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const tagColon = name.indexOf(':', name.lastIndexOf('/') + 1);
  if (tagColon >= 0) {
    tag = name.slice(tagColon + 1);
    name = name.slice(0, tagColon);
  }
  return { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

export function isValidHost(host: string): boolean {
  if (/^\[([0-9a-fA-F:.]+)\](?::([0-9]{1,5}))?$/.test(host)) return true;
  const colon = host.lastIndexOf(':');
  const name = colon < 0 ? host : host.slice(0, colon);
  if (colon >= 0 && !PORT.test(host.slice(colon + 1))) return false;
  return name.length > 0 && name.split('.').every((label) => HOST_LABEL.test(label));
}

export function pathComponentProblem(component: string): string | undefined {
  if (PATH_COMPONENT.test(component)) return undefined;
  return component === ''
    ? 'expected a repository name without empty path components'
    : `repository component \`${component}\` must be lower-case letters and digits, separated by \`.\`, \`_\`, \`__\` or \`-\``;
}

export function tagProblem(tag: string): string | undefined {
  return TAG.test(tag) ? undefined : `tag \`${tag}\` must match \`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\``;
}

export function digestProblem(digest: string): string | undefined {
  return DIGEST.test(digest) ? undefined : `digest \`${digest}\` is not \`sha256:\` followed by 64 lower-case hex digits`;
}

/** A whole reference as written, without any registry defaulting (the store's names). */
export function referenceProblem(reference: string): string | undefined {
  const { name, tag, digest } = splitReference(reference);
  if (name === '') return 'expected a repository name';
  if (name.length > MAX_NAME_LENGTH) return `expected a name of at most ${MAX_NAME_LENGTH} characters`;
  const components = name.split('/');
  const first = components[0] ?? '';
  const path = components.length > 1 && isValidHost(first) ? components.slice(1) : components;
  for (const component of path) {
    const problem = pathComponentProblem(component);
    if (problem !== undefined) return problem;
  }
  return (tag === undefined ? undefined : tagProblem(tag)) ?? (digest === undefined ? undefined : digestProblem(digest));
}
