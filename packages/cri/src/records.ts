/**
 * What the CRI said about a sandbox or a container, kept in the pod manifest
 * itself (a pod annotation, an app annotation): it lives and dies with the
 * pod, whoever removes it (`podstage rm`, `gc`), and needs no store of its own.
 */
import { annotationValue, type PodManifest, type RuntimeApp } from '@podstage/contract';

export const SANDBOX_ANNOTATION = 'podstage.io/cri-sandbox';
export const CONTAINER_ANNOTATION = 'podstage.io/cri-container';

export interface Metadata { name: string; uid?: string; namespace?: string; attempt: number }

export interface SandboxRecord {
  metadata: Metadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logDirectory: string;
  runtimeHandler: string;
  /** NODE when the pod shares the host's network, else POD. */
  network: 'POD' | 'NODE';
  /** linux.security_context.privileged: its containers may be privileged (the kubelet sets it when one is). */
  privileged?: boolean;
}

export interface ContainerRecord {
  metadata: Metadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The image as the request named it. */
  image: string;
  logPath: string;
  /** Nanoseconds since the epoch. */
  createdAt: string;
}

function parse<T>(value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

/** A pod the CRI did not make (podstage run, app sandbox) is still a sandbox: named after its UUID, in namespace `podstage`. */
export function sandboxRecord(uuid: string, m: PodManifest | undefined): SandboxRecord {
  return parse<SandboxRecord>(annotationValue(m?.annotations, SANDBOX_ANNOTATION)) ?? {
    metadata: { name: uuid, uid: uuid, namespace: 'podstage', attempt: 0 }, labels: {}, annotations: {}, logDirectory: '', runtimeHandler: '', network: 'POD',
  };
}

export function containerRecord(app: RuntimeApp, createdAt: string): ContainerRecord {
  return parse<ContainerRecord>(annotationValue(app.annotations, CONTAINER_ANNOTATION)) ?? {
    metadata: { name: app.name, attempt: 0 }, labels: {}, annotations: {}, image: app.image.name ?? app.image.id, logPath: '', createdAt,
  };
}
