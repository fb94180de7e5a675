/**
 * Isolators a pod or app may carry (appc names). Stage1s that cannot honour
 * one must refuse the pod (see ABI.md, "Isolators"), never ignore it.
 */
import { PodstageError } from '../errors.js';
import type { Isolator } from './types.js';

export const ISOLATOR = {
  cpu: 'resource/cpu',
  memory: 'resource/memory',
  capsRetain: 'os/linux/capabilities-retain-set',
  capsRemove: 'os/linux/capabilities-remove-set',
  seccompRetain: 'os/linux/seccomp-retain-set',
  seccompRemove: 'os/linux/seccomp-remove-set',
  noNewPrivileges: 'os/linux/no-new-privileges',
  oomScoreAdj: 'os/linux/oom-score-adj',
} as const;

export type IsolatorName = (typeof ISOLATOR)[keyof typeof ISOLATOR];
export const ISOLATOR_NAMES: readonly IsolatorName[] = Object.values(ISOLATOR);

export interface ResourceValue {
  request?: string;
  limit?: string;
}
export interface CapabilitySetValue {
  set: string[];
}
export interface SeccompSetValue {
  set: string[];
  errno?: string;
}

/** The isolators of one app, pod-level ones merged in (app wins), typed. */
export interface EffectiveIsolators {
  cpu?: ResourceValue;
  memory?: ResourceValue;
  capsRetain?: CapabilitySetValue;
  capsRemove?: CapabilitySetValue;
  seccompRetain?: SeccompSetValue;
  seccompRemove?: SeccompSetValue;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

const KEY_BY_NAME = Object.fromEntries(Object.entries(ISOLATOR).map(([k, v]) => [v, k])) as Record<
  IsolatorName,
  keyof EffectiveIsolators
>;

export function effectiveIsolators(podIsolators: Isolator[] = [], appIsolators: Isolator[] = []): EffectiveIsolators {
  const out: Record<string, unknown> = {};
  for (const iso of [...podIsolators, ...appIsolators]) {
    const key = KEY_BY_NAME[iso.name as IsolatorName];
    if (key !== undefined) out[key] = iso.value;
  }
  return out as EffectiveIsolators;
}

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;
const FACTORS: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
};

/** A Kubernetes-style quantity ("128Mi", "1G", "500m") as a plain number. */
export function parseQuantity(field: string, quantity: string): number {
  const m = QUANTITY.exec(quantity);
  if (m === null) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${field}: must be a quantity like "128Mi", "1G" or "500m", got ${JSON.stringify(quantity)}`);
  }
  return Number(m[1]) * (FACTORS[m[2] ?? ''] ?? 1);
}

/** The app's memory limit in bytes; undefined for none. A limit of 0 means none, as in Kubernetes (every stage1 reads it here). */
export function memoryLimitBytes(iso: EffectiveIsolators): number | undefined {
  if (iso.memory?.limit === undefined) return undefined;
  const bytes = Math.floor(parseQuantity(`${ISOLATOR.memory}.limit`, iso.memory.limit));
  return bytes === 0 ? undefined : bytes;
}

export function cpuLimitMillis(iso: EffectiveIsolators): number | undefined {
  if (iso.cpu?.limit === undefined) return undefined;
  return Math.ceil(parseQuantity(`${ISOLATOR.cpu}.limit`, iso.cpu.limit) * 1000);
}

export function cpuRequestMillis(iso: EffectiveIsolators): number | undefined {
  if (iso.cpu?.request === undefined) return undefined;
  return Math.ceil(parseQuantity(`${ISOLATOR.cpu}.request`, iso.cpu.request) * 1000);
}

/** The appc name of every system call in a seccomp isolator's set: retained, it allows every call. */
export const SECCOMP_ALL_SYSCALLS = '@appc.io/all';
