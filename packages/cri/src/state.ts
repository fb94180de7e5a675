/**
 * Sandboxes and containers as the CRI reports them, read from the pods on
 * disk (@podstage/runtime/status): never a lock a pod holds, never a process
 * of the server's, so a restarted server sees what it left.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { pod, readAppExitStatus, readPodManifest, type PodManifest, type RuntimeApp } from '@podstage/contract';
import { findPod, listPodRefs, podInfo, podState, type PodRef } from '@podstage/runtime/status';
import { GrpcError, isoToNanos } from '@podstage/grpc';
import { containerId } from './ids.js';
import { containerRecord, sandboxRecord, type ContainerRecord, type SandboxRecord } from './records.js';

/** The pod states a sandbox is reported in: prepared and collected ones are not sandboxes (yet, any more). */
const SANDBOX_STATES = new Set(['running', 'exited']);

export interface Sandbox { ref: PodRef; manifest: PodManifest | undefined; record: SandboxRecord; ready: boolean; createdAt: string }

export interface Container {
  sandbox: Sandbox;
  app: RuntimeApp;
  id: string;
  record: ContainerRecord;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  /** The OOM killer ended it (its memory limit was reached): the kubelet's OOMKilled. */
  oomKilled: boolean;
}

function manifestOf(ref: PodRef): PodManifest | undefined {
  try {
    return readPodManifest(ref.path);
  } catch {
    return undefined;
  }
}

function sandboxOf(ref: PodRef): Sandbox {
  const manifest = manifestOf(ref);
  const info = podInfo(ref);
  return { ref, manifest, record: sandboxRecord(ref.uuid, manifest), ready: info.state === 'running' && info.monitorGone === undefined, createdAt: isoToNanos(info.createdAt) };
}

export function listSandboxes(dataDir: string): Sandbox[] {
  return listPodRefs(dataDir).filter((ref) => SANDBOX_STATES.has(podState(ref))).map(sandboxOf);
}

/** The sandbox `id`, or undefined when there is none (stop and remove of a missing sandbox succeed). */
export function findSandbox(dataDir: string, id: string): Sandbox | undefined {
  if (id === '') throw new GrpcError(status.INVALID_ARGUMENT, 'pod_sandbox_id: expected a sandbox id');
  let ref: PodRef;
  try {
    ref = findPod(dataDir, id);
  } catch {
    return undefined;
  }
  return SANDBOX_STATES.has(podState(ref)) ? sandboxOf(ref) : undefined;
}

export function requireSandbox(dataDir: string, id: string): Sandbox {
  const found = findSandbox(dataDir, id);
  if (found === undefined) throw new GrpcError(status.NOT_FOUND, `pod sandbox ${id} not found`);
  return found;
}

function stamp(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function containerOf(sandbox: Sandbox, app: RuntimeApp): Container {
  const podDir = sandbox.ref.path;
  const exit = readAppExitStatus(podDir, app.name);
  const started = stamp(pod.appStarted(podDir, app.name));
  const state = exit !== undefined ? 'CONTAINER_EXITED' : started !== '' ? 'CONTAINER_RUNNING' : 'CONTAINER_CREATED';
  const exitFile = pod.appExitStatus(podDir, app.name);
  return {
    sandbox, app, id: containerId(sandbox.ref.uuid, app.name), record: containerRecord(app, sandbox.createdAt), state,
    startedAt: isoToNanos(started === '' ? undefined : started),
    finishedAt: exit !== undefined && existsSync(exitFile) ? (BigInt(Math.round(statSync(exitFile).mtimeMs)) * 1_000_000n).toString() : '0',
    exitCode: exit ?? 0,
    oomKilled: exit !== undefined && existsSync(pod.appOomKilled(podDir, app.name)),
  };
}

/** The sandbox's containers (its pod's apps). */
export const containersOf = (s: Sandbox): Container[] => (s.manifest?.apps ?? []).map((app) => containerOf(s, app));

export function listContainers(dataDir: string): Container[] {
  return listSandboxes(dataDir).flatMap(containersOf);
}

/**
 * The container `id` (or an unambiguous prefix). Ids are matched against every pod's manifest
 * first: only the pod that has it is looked at further (its state reads its cgroups), so a
 * lookup costs a manifest read per pod on the node, not a full listing.
 */
export function findContainer(dataDir: string, id: string): Container | undefined {
  if (id === '') throw new GrpcError(status.INVALID_ARGUMENT, 'container_id: expected a container id');
  const matches = listPodRefs(dataDir)
    .flatMap((ref) => (manifestOf(ref)?.apps ?? []).filter((app) => containerId(ref.uuid, app.name).startsWith(id)).map((app) => ({ ref, app })))
    .filter((m) => SANDBOX_STATES.has(podState(m.ref)));
  if (matches.length > 1) throw new GrpcError(status.INVALID_ARGUMENT, `container id ${id} is ambiguous`);
  const match = matches[0];
  if (match === undefined) return undefined;
  const sandbox = sandboxOf(match.ref);
  const app = sandbox.manifest?.apps.find((a) => a.name === match.app.name);
  return app === undefined ? undefined : containerOf(sandbox, app);
}

export function requireContainer(dataDir: string, id: string): Container {
  const found = findContainer(dataDir, id);
  if (found === undefined) throw new GrpcError(status.NOT_FOUND, `container ${id} not found`);
  return found;
}

export const stage1Of = (s: Sandbox): string => podInfo(s.ref).stage1 ?? '';
