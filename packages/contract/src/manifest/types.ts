/**
 * The pod manifest: what stage0 writes into a pod directory and every stage1
 * reads. Modelled on the appc pod manifest (apps, volumes, isolators,
 * annotations, ports), versioned by `apiVersion`.
 */

export const POD_MANIFEST_API_VERSION = 'podstage.io/v1alpha1';
export const POD_MANIFEST_KIND = 'PodManifest';

export interface NameValue {
  name: string;
  value: string;
}

export type Annotation = NameValue;
export type EnvironmentVariable = NameValue;

export interface Isolator {
  name: string;
  value: unknown;
}

export interface MountPoint {
  name: string;
  path: string;
  readOnly?: boolean;
}

export interface Port {
  name: string;
  protocol: 'tcp' | 'udp';
  port: number;
  count?: number;
  socketActivated?: boolean;
}

/** The runnable part of an app: appc's `app` section. */
export interface App {
  exec: string[];
  user: string;
  group: string;
  supplementaryGIDs?: number[];
  workingDirectory?: string;
  environment?: EnvironmentVariable[];
  mountPoints?: MountPoint[];
  ports?: Port[];
  isolators?: Isolator[];
}

export interface ImageRef {
  /** Content address of the image manifest, `sha256:<64 hex>`. */
  id: string;
  name?: string;
}

/** A volume mounted into one app: `volume` names an entry of `volumes`. */
export interface Mount {
  volume: string;
  path: string;
  readOnly?: boolean;
}

export interface RuntimeApp {
  name: string;
  image: ImageRef;
  app: App;
  mounts?: Mount[];
  readOnlyRootFS?: boolean;
  annotations?: Annotation[];
}

export interface Volume {
  name: string;
  kind: 'host' | 'empty';
  /** Absolute host path; only for kind "host". */
  source?: string;
  readOnly?: boolean;
  recursive?: boolean;
  /**
   * Mount propagation between the host path and the apps (ABI 6; kind "host"): private (the
   * default), rslave (the host's later mounts under it reach the apps: Kubernetes'
   * HostToContainer), rshared (and the apps' reach the host: Bidirectional).
   */
  propagation?: 'private' | 'rslave' | 'rshared';
  /** Octal permission string for kind "empty", e.g. "0755". */
  mode?: string;
  uid?: number;
  gid?: number;
}

export interface ExposedPort {
  name: string;
  hostPort: number;
  hostIP?: string;
}

export interface PodManifest {
  apiVersion: typeof POD_MANIFEST_API_VERSION;
  kind: typeof POD_MANIFEST_KIND;
  apps: RuntimeApp[];
  volumes?: Volume[];
  isolators?: Isolator[];
  annotations?: Annotation[];
  ports?: ExposedPort[];
}

/**
 * The image manifest as podstage keeps it in its store: the OCI image config
 * turned into appc's image-manifest terms, so stage0 can build apps from it.
 */
export interface ImageManifest {
  name: string;
  labels?: NameValue[];
  app?: Partial<App> & { entrypoint?: string[]; cmd?: string[] };
  annotations?: Annotation[];
}
