/** What every RPC works with: where pods and images are, the stage1s, how a RuntimeClass handler picks one. */
import type { FetchImageOptions, ImageStore } from '@podstage/images';
import type { Stage1Registry } from '@podstage/runtime';
import type { StreamRequest } from './streaming/requests.js';

export interface CriContext {
  dataDir: string;
  /** Where CNI network configurations are (`<dir>/net.d`), as for the CLI's --config. */
  configDir: string;
  stage1s: Stage1Registry;
  store: ImageStore;
  /** How PullImage and a missing image fetch: trust policy, mirrors, credentials. */
  fetch: FetchImageOptions;
  /** RuntimeClass handler → `STAGE1` or `STAGE1:OCI_RUNTIME` (host, runc, crun = runc:crun, kvm, fly by default). */
  handlers: Record<string, string>;
  /** The stage1 of a pod that names none (annotation or handler); the registry's default when undefined. */
  defaultStage1?: string | undefined;
  /**
   * The seccomp profile of a container that names none (no seccomp, no seccomp_profile_path):
   * RuntimeDefault (podstage's default profile, as CRI-O's seccomp_use_default_when_empty) unless
   * set to Unconfined (the CRI's documented default for an empty seccomp_profile_path).
   */
  seccompWhenEmpty?: SeccompWhenEmpty | undefined;
  /** Where Exec, Attach and PortForward send clients (the streaming server); those RPCs are UNAVAILABLE without it. */
  streaming?: { url(request: StreamRequest): string } | undefined;
}

export const SECCOMP_WHEN_EMPTY = ['RuntimeDefault', 'Unconfined'] as const;
export type SeccompWhenEmpty = (typeof SECCOMP_WHEN_EMPTY)[number];

export const DEFAULT_HANDLERS: Record<string, string> = { host: 'host', runc: 'runc', crun: 'runc:crun', kvm: 'kvm', fly: 'fly' };
/** A pod that asks for no isolation level is an ordinary workload: a container under runc (host and fly are for trusted node agents, kvm for untrusted tenants). */
export const DEFAULT_CRI_STAGE1 = 'runc';
