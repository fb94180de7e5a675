/**
 * podstage's default network, `podstage` (podman's `podman`, CRI-O's
 * `crio`): a bridge with a private /24 (host-local IPAM), the pods' gateway
 * and masquerade to the outside (the bridge plugin turns on
 * net.ipv4.ip_forward for that), port mappings through portmap, and the
 * firewall plugin's accept rules. Written to podstage's net.d on first use;
 * edit that file to change it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfList, netConfigDir, type NetworkConfigList } from './conflist.js';
import { DEFAULT_BRIDGE, DEFAULT_NETWORK } from './names.js';

/** Tried in order: the first /24 that no route of this host overlaps. */
const SUBNET_BASE = [10, 215];

/** IPv4 routes of this host as [network, mask] (from /proc/net/route, little-endian hex). */
function hostRoutes(): [number, number][] {
  const le = (hex: string) => Number.parseInt(hex.match(/../g)!.reverse().join(''), 16) >>> 0;
  return readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).filter(Boolean)
    .map((l) => l.trim().split(/\s+/)).filter((f) => f[0] !== DEFAULT_BRIDGE && f[7] !== '00000000')
    .map((f) => [le(f[1] as string), le(f[7] as string)]);
}

export function freeSubnet(routes = hostRoutes()): string {
  for (let third = 0; third < 256; third++) {
    const net = ((SUBNET_BASE[0]! << 24) | (SUBNET_BASE[1]! << 16) | (third << 8)) >>> 0;
    const mask = 0xffffff00;
    if (routes.every(([rnet, rmask]) => ((net & rmask) >>> 0) !== rnet && ((rnet & mask) >>> 0) !== net)) return `${SUBNET_BASE.join('.')}.${third}.0/24`;
  }
  throw new Error(`no free /24 in ${SUBNET_BASE.join('.')}.0.0/16`);
}

export function defaultConfList(subnet: string): object {
  return {
    cniVersion: '1.0.0',
    name: DEFAULT_NETWORK,
    plugins: [
      {
        type: 'bridge', bridge: DEFAULT_BRIDGE, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'firewall' },
    ],
  };
}

/** The default network's conflist, written atomically into `configDir`/net.d when missing. */
export function ensureDefaultNetwork(configDir: string): NetworkConfigList {
  const file = join(netConfigDir(configDir), `${DEFAULT_NETWORK}.conflist`);
  if (!existsSync(file)) {
    mkdirSync(netConfigDir(configDir), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(defaultConfList(freeSubnet()), null, 2)}\n`);
    renameSync(tmp, file);
  }
  return loadConfList(file);
}
