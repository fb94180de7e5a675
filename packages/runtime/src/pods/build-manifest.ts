/**
 * Turn what the user asked for (images plus per-app flags) into a pod
 * manifest, filling in the image's own defaults. Pure given the store's
 * answers; the result is validated before anything is written.
 */
import {
  ISOLATOR, parsePodManifest, POD_MANIFEST_API_VERSION, POD_MANIFEST_KIND, PodstageError,
  type Annotation, type ExposedPort, type Isolator, type Mount, type PodManifest, type RuntimeApp, type Volume,
} from '@podstage/contract';
import type { ImageRecord, ImageRunConfig } from '@podstage/images';
import { imagePort } from './ports.js';

/** One app as the CLI describes it (`run IMAGE --exec=... -- args`). */
export interface AppRequest {
  image: string;
  name?: string;
  /** --exec: replaces the image's entrypoint and cmd. */
  exec?: string;
  /** Arguments after `--`. */
  args?: string[];
  env: Record<string, string>;
  user?: string;
  group?: string;
  supplementaryGids?: number[];
  workingDir?: string;
  mounts: Mount[];
  readOnlyRootFS?: boolean;
  isolators: Isolator[];
  annotations: Annotation[];
  /** The flag each field came from ("app.user" → "--user=NAME"), so errors name what the user typed. */
  origins: Record<string, string>;
}

export interface PodRequest {
  apps: AppRequest[];
  /** Host ports for ports the apps declare (rkt's --port). */
  ports?: ExposedPort[];
  volumes: Volume[];
  annotations: Annotation[];
  isolators: Isolator[];
  /** Environment for every app (--set-env before the first image). */
  env: Record<string, string>;
  /** The flag each pod field came from ("volumes[NAME]" → "--volume=SPEC"). */
  origins: Record<string, string>;
}

export interface ResolvedImage {
  record: ImageRecord;
  config: ImageRunConfig;
}

/** Docker semantics: exec = entrypoint + (args or cmd); --exec drops both. */
export function appExec(req: AppRequest, cfg: ImageRunConfig): string[] {
  if (req.exec !== undefined) return [req.exec, ...(req.args ?? [])];
  const args = req.args !== undefined && req.args.length > 0 ? req.args : cfg.cmd;
  return [...cfg.entrypoint, ...args];
}

/** OCI "user[:group]" → appc user and group. */
export function imageUser(user: string): { user: string; group: string } {
  if (user === '') return { user: '0', group: '0' };
  const [u, g] = user.split(':', 2) as [string, string | undefined];
  return { user: u || '0', group: g ?? (/^[0-9]+$/.test(u) ? u : '') };
}

export function defaultAppName(image: ResolvedImage, index: number, taken: Set<string>): string {
  const name = image.record.names[0] ?? '';
  const base = name.replace(/[:@].*$/, '').split('/').pop() ?? '';
  let candidate = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || `app-${index}`;
  for (let n = 2; taken.has(candidate); n++) candidate = `${candidate.replace(/-[0-9]+$/, '')}-${n}`;
  return candidate;
}

function envList(...layers: Record<string, string>[]): { name: string; value: string }[] {
  const merged: Record<string, string> = {};
  for (const layer of layers) Object.assign(merged, layer);
  return Object.entries(merged).map(([name, value]) => ({ name, value }));
}

export function imageEnv(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export function buildPodManifest(req: PodRequest, images: ResolvedImage[]): PodManifest {
  const taken = new Set<string>();
  const apps: RuntimeApp[] = req.apps.map((a, i) => {
    const img = images[i] as ResolvedImage;
    const ports = img.config.exposedPorts.map(imagePort).filter((p) => p !== undefined);
    const name = a.name ?? defaultAppName(img, i, taken);
    taken.add(name);
    const fromImage = imageUser(img.config.user);
    const app: RuntimeApp = {
      name,
      image: { id: img.record.id, ...(img.record.names[0] !== undefined ? { name: img.record.names[0] } : {}) },
      app: {
        exec: appExec(a, img.config),
        user: a.user ?? fromImage.user,
        group: a.group ?? fromImage.group,
        ...(a.supplementaryGids?.length ? { supplementaryGIDs: a.supplementaryGids } : {}),
        workingDirectory: a.workingDir ?? (img.config.workingDir || '/'),
        environment: envList(imageEnv(img.config.env), req.env, a.env),
        ...(a.isolators.length > 0 ? { isolators: a.isolators } : {}),
        ...(ports.length > 0 ? { ports } : {}),
      },
      ...(a.mounts.length > 0 ? { mounts: a.mounts } : {}),
      ...(a.readOnlyRootFS ? { readOnlyRootFS: true } : {}),
      ...(a.annotations.length > 0 ? { annotations: a.annotations } : {}),
    };
    if (app.app.exec.length === 0) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `app ${name}: image ${a.image} has no entrypoint or cmd`, { hint: 'give a command after -- or --exec' });
    }
    return app;
  });
  const m: PodManifest = {
    apiVersion: POD_MANIFEST_API_VERSION,
    kind: POD_MANIFEST_KIND,
    apps,
    ...(req.volumes.length > 0 ? { volumes: req.volumes } : {}),
    ...(req.isolators.length > 0 ? { isolators: req.isolators } : {}),
    ...(req.annotations.length > 0 ? { annotations: req.annotations } : {}),
    ...(req.ports !== undefined && req.ports.length > 0 ? { ports: req.ports } : {}),
  };
  return parsePodManifest(m);
}

export const memoryIsolator = (limit: string): Isolator => ({ name: ISOLATOR.memory, value: { request: limit, limit } });
export const cpuIsolator = (limit: string): Isolator => ({ name: ISOLATOR.cpu, value: { request: limit, limit } });
