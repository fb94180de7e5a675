/**
 * A Localhost seccomp profile (the JSON that runc, Docker, containerd and the
 * kubelet's /var/lib/kubelet/seccomp files use: defaultAction, syscalls[] with
 * names, action, errnoRet) → the app's seccomp isolator, which every stage1
 * compiles, as a seccomp-retain set: an allow-list under an errno default is
 * the list, a deny-list under an allow default every x86_64 call but those it
 * denies (not seccomp-remove, which podstage's default denylist augments, as
 * appc lets it: the profile says what is denied, and nothing else is). What an
 * isolator cannot say (argument conditions, kill, trap, notify) is refused
 * with the file's name.
 */
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { status } from '@grpc/grpc-js';
import { ISOLATOR, PodstageError, SECCOMP_ALL_SYSCALLS, validateAgainst, type Isolator } from '@podstage/contract';
import { GrpcError } from '@podstage/grpc';
import { EXEC_MINIMUM, SYSCALLS_X86_64, syscallNumberX86_64 } from '@podstage/seccomp';

const isX86_64Syscall = (name: string): boolean => syscallNumberX86_64(name) !== undefined;

interface Rule { names?: string[]; name?: string; action: string; errnoRet?: number; args?: unknown[] | null }
interface Profile { defaultAction: string; defaultErrnoRet?: number; syscalls?: Rule[] | null }

const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];

const profileSchema = {
  type: 'object',
  required: ['defaultAction'],
  properties: {
    defaultAction: { enum: ACTIONS },
    defaultErrnoRet: { type: 'integer', minimum: 1 },
    architectures: { type: ['array', 'null'], items: { type: 'string' } },
    syscalls: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        required: ['action'],
        properties: {
          names: { type: 'array', items: { type: 'string' } },
          name: { type: 'string' },
          action: { enum: ACTIONS },
          errnoRet: { type: 'integer', minimum: 1 },
          args: { type: ['array', 'null'] },
        },
      },
    },
  },
} as const;

const errnoNames = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const EPERM = osConstants.errno.EPERM;

/** Read the profile at `path` (absolute, on the node) as the container's seccomp isolator. */
export function localhostSeccomp(path: string, field: string): Isolator {
  if (!path.startsWith('/')) throw new GrpcError(status.INVALID_ARGUMENT, `${field}: expected an absolute path to a seccomp profile on the node, got ${JSON.stringify(path)}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GrpcError(status.NOT_FOUND, `${field}: cannot read the seccomp profile ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new GrpcError(status.INVALID_ARGUMENT, `${field}: ${path} is not JSON (${(e as Error).message})`);
  }
  try {
    validateAgainst(profileSchema, value, `${field}: ${path}`);
    return profileIsolator(value as Profile, `${field}: ${path}`);
  } catch (e) {
    if (e instanceof PodstageError) throw new GrpcError(status.INVALID_ARGUMENT, e.message);
    throw e;
  }
}

function refuse(what: string, detail: string): never {
  throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${what}: ${detail}`);
}

/** Exported for unit tests: the isolator a parsed profile becomes. */
export function profileIsolator(p: Profile, what: string): Isolator {
  const allowByDefault = p.defaultAction === 'SCMP_ACT_ALLOW';
  if (!allowByDefault && p.defaultAction !== 'SCMP_ACT_ERRNO') refuse(what, `defaultAction ${p.defaultAction}: expected SCMP_ACT_ALLOW or SCMP_ACT_ERRNO`);
  const errnos = new Set<number>(allowByDefault ? [] : [p.defaultErrnoRet ?? EPERM]);
  const listed: string[] = [];
  (p.syscalls ?? []).forEach((rule, i) => {
    const names = rule.names ?? (rule.name === undefined ? [] : [rule.name]);
    if (rule.action === p.defaultAction) return;
    if (rule.action !== 'SCMP_ACT_ALLOW' && rule.action !== 'SCMP_ACT_ERRNO') refuse(what, `syscalls[${i}].action ${rule.action}: expected SCMP_ACT_ALLOW or SCMP_ACT_ERRNO`);
    if ((rule.args ?? []).length > 0) refuse(what, `syscalls[${i}].args: argument conditions are not supported`);
    if (rule.action === 'SCMP_ACT_ERRNO') errnos.add(rule.errnoRet ?? EPERM);
    listed.push(...names);
  });
  if (errnos.size > 1) refuse(what, `one errno for every denied call, got ${[...errnos].join(', ')}`);
  const errno = errnos.size === 0 ? undefined : errnoNames.get([...errnos][0] as number);
  if (allowByDefault) {
    if (listed.length === 0) return { name: ISOLATOR.seccompRetain, value: { set: [SECCOMP_ALL_SYSCALLS] } };
    // A call this host does not know could not be denied: refused rather than left allowed.
    const unknown = listed.filter((n) => !isX86_64Syscall(n));
    if (unknown.length > 0) refuse(what, `denies ${unknown.join(', ')}, not x86_64 syscalls podstage knows`);
    const needed = EXEC_MINIMUM.filter((n) => listed.includes(n));
    if (needed.length > 0) refuse(what, `denies ${needed.join(', ')}: the container could not be started or exit without them`);
    const denied = new Set(listed);
    return { name: ISOLATOR.seccompRetain, value: { set: Object.keys(SYSCALLS_X86_64).filter((n) => !denied.has(n)), ...(errno === undefined ? {} : { errno }) } };
  }
  // Allowing a call this table does not know is left out: it stays denied.
  return { name: ISOLATOR.seccompRetain, value: { set: [...new Set(listed.filter(isX86_64Syscall))], ...(errno === undefined ? {} : { errno }) } };
}
