/**
 * A sandbox's name, containerd's `name_namespace_uid_attempt` of its metadata, is its own until
 * the sandbox is removed: RunPodSandbox with the metadata of a sandbox that exists (ready or
 * stopped) or is being made is refused with ALREADY_EXISTS, as containerd and CRI-O refuse it.
 * The kubelet asks again with a new attempt; a retried request cannot make a second pod.
 */
import { status } from '@grpc/grpc-js';
import { annotationValue, readPodManifest } from '@podstage/contract';
import { listPodRefs } from '@podstage/runtime/status';
import { GrpcError } from '@podstage/grpc';
import { SANDBOX_ANNOTATION, type Metadata, type SandboxRecord } from './records.js';

export const sandboxName = (m: Metadata): string => [m.name, m.namespace ?? '', m.uid ?? '', String(m.attempt)].join('_');

/** Names being made by this server: `dataDir NUL name`. */
const making = new Set<string>();
/** The name of each pod directory already read (a sandbox's metadata never changes); undefined for a pod the CRI did not make. */
const named = new Map<string, string | undefined>();

function nameOf(podDir: string): string | undefined {
  if (!named.has(podDir)) {
    let name: string | undefined;
    try {
      const record = annotationValue(readPodManifest(podDir).annotations, SANDBOX_ANNOTATION);
      name = record === undefined ? undefined : sandboxName((JSON.parse(record) as SandboxRecord).metadata);
    } catch {
      return undefined; // not written yet, or being removed: ask again next time
    }
    named.set(podDir, name);
  }
  return named.get(podDir);
}

/** The sandbox (pod UUID) that holds `name`: any pod in the run directory, running or exited, until it is removed. */
function holderOf(dataDir: string, name: string): string | undefined {
  const refs = listPodRefs(dataDir).filter((ref) => ref.dir === 'run');
  const present = new Set(refs.map((ref) => ref.path));
  for (const dir of named.keys()) if (dir.startsWith(dataDir) && !present.has(dir)) named.delete(dir);
  return refs.find((ref) => nameOf(ref.path) === name)?.uuid;
}

/** Reserve the name of a sandbox about to be made; call the returned function once it is made or failed. */
export function reserveSandboxName(dataDir: string, metadata: Metadata): () => void {
  const name = sandboxName(metadata);
  const key = `${dataDir}\0${name}`;
  if (making.has(key)) throw new GrpcError(status.ALREADY_EXISTS, `pod sandbox name ${JSON.stringify(name)} is reserved: a sandbox with this metadata is being created`);
  const holder = holderOf(dataDir, name);
  if (holder !== undefined) throw new GrpcError(status.ALREADY_EXISTS, `pod sandbox name ${JSON.stringify(name)} is reserved for ${holder}`);
  making.add(key);
  return () => void making.delete(key);
}
