/**
 * Resolve an app's user and group the way the image defines them: names are
 * looked up in the app's own /etc/passwd and /etc/group, never the host's.
 */
import { readFileSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';
import { secureJoin } from './secure-join.js';

export interface ResolvedIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups: the manifest's plus the user's memberships in /etc/group. */
  groups: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function readDb(rootfs: string, file: string): string[][] {
  try {
    return readFileSync(secureJoin(rootfs, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

function passwd(rootfs: string): PasswdEntry[] {
  return readDb(rootfs, '/etc/passwd').map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }));
}

function groups(rootfs: string): GroupEntry[] {
  return readDb(rootfs, '/etc/group').map((f) => ({ name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const NUMERIC = /^[0-9]+$/;

/** Where the user and the group came from, named in errors: the manifest's fields unless stage0 knows the flags. */
export interface IdentityFields {
  user: string;
  group: string;
}

export const manifestIdentityFields = (app: string): IdentityFields => ({ user: `apps[${app}].app.user`, group: `apps[${app}].app.group` });

export function resolveIdentity(
  rootfs: string, app: string, user: string, group: string, supplementary: number[] = [], fields = manifestIdentityFields(app),
): ResolvedIdentity {
  const users = passwd(rootfs);
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (NUMERIC.test(user)) {
    uid = Number(user);
    entry = users.find((u) => u.uid === uid);
  } else {
    entry = users.find((u) => u.name === user);
    if (entry === undefined) {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${fields.user}: no user ${JSON.stringify(user)} in the image's /etc/passwd`, {
        hint: 'give a numeric uid or a user the image defines',
      });
    }
    uid = entry.uid;
  }
  const groupDb = groups(rootfs);
  let gid: number;
  if (NUMERIC.test(group)) gid = Number(group);
  else if (group === '') gid = entry?.gid ?? 0;
  else {
    const g = groupDb.find((x) => x.name === group);
    if (g === undefined) {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${fields.group}: no group ${JSON.stringify(group)} in the image's /etc/group`);
    }
    gid = g.gid;
  }
  const memberOf = entry === undefined ? [] : groupDb.filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  const all = [...new Set([...supplementary, ...memberOf])].filter((g) => g !== gid);
  return { uid, gid, groups: all, home: entry?.home ?? '/' };
}
