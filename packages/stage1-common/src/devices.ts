/**
 * The devices an app may open: runc's default allowlist (the OCI runtime-spec's
 * default devices). Everything else is denied; creating a node (mknod, CAP_MKNOD
 * is a default capability) stays possible, opening it does not.
 */
export interface DeviceRule {
  type: 'a' | 'b' | 'c';
  /** Undefined: any. */
  major?: number;
  minor?: number;
  access: string;
}

const char = (major: number, minor?: number): DeviceRule =>
  minor === undefined ? { type: 'c', major, access: 'rwm' } : { type: 'c', major, minor, access: 'rwm' };

export const ALLOWED_DEVICES: readonly DeviceRule[] = Object.freeze([
  { type: 'c', access: 'm' },
  { type: 'b', access: 'm' },
  char(1, 3), // /dev/null
  char(1, 5), // /dev/zero
  char(1, 7), // /dev/full
  char(1, 8), // /dev/random
  char(1, 9), // /dev/urandom
  char(5, 0), // /dev/tty
  char(5, 1), // /dev/console
  char(5, 2), // /dev/ptmx
  char(136), // /dev/pts/*
]);

/** A rule as the cgroup v1 devices controller writes it: `c 1:3 rwm`. */
export const devicesV1Rule = (r: DeviceRule) => `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`;
