/**
 * What pods on the default CNI network leave on the host by design (the
 * bridge podstage0, ip_forward, the plugins' base iptables chains,
 * host-local's directory), as podman's networks do. The test sandboxes put it
 * back as found once the last of them is cleaned up, so the suite leaves the
 * host as it found it.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';

export const BRIDGE = 'podstage0';
export const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
export const IPAM_DIR = '/var/lib/cni/networks/podstage';

export interface HostNetwork { ipForward: string; bridge: boolean; ipam: boolean; rules: Record<string, string[]> }

export const links = async (): Promise<string> => (await execa('ip', ['-o', 'link'])).stdout;

/** The CNI plugins' chains (`:CNI-…`) and the rules that jump to them, per table, as iptables-save prints them. */
async function cniRules(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of ['filter', 'nat']) {
    out[table] = (await execa('iptables-save', ['-t', table])).stdout.split('\n').filter((l) => l.startsWith(':CNI-') || / -j CNI-/.test(l));
  }
  return out;
}

export async function snapshotHostNetwork(): Promise<HostNetwork> {
  return { ipForward: readFileSync(IP_FORWARD, 'utf8').trim(), bridge: (await links()).includes(`${BRIDGE}:`), ipam: existsSync(IPAM_DIR), rules: await cniRules() };
}

/** Remove what the plugins added to the tables since `before`: jumps first, then their chains. */
async function restoreCniRules(before: Record<string, string[]>): Promise<void> {
  const now = await cniRules();
  for (const [table, lines] of Object.entries(now)) {
    const added = lines.filter((l) => !(before[table] ?? []).includes(l));
    for (const rule of added.filter((l) => l.startsWith('-A '))) {
      const args = rule.slice(3).match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
      await execa('iptables', ['-t', table, '-D', ...args], { reject: false });
    }
    for (const chain of added.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0] as string)) {
      await execa('iptables', ['-t', table, '-F', chain], { reject: false });
      await execa('iptables', ['-t', table, '-X', chain], { reject: false });
    }
  }
}

/** Put the network's host state back as `before` had it; call once no pod is attached. */
export async function restoreHostNetwork(before: HostNetwork): Promise<void> {
  if (readFileSync(IP_FORWARD, 'utf8').trim() !== before.ipForward) writeFileSync(IP_FORWARD, `${before.ipForward}\n`);
  if (!before.bridge && (await links()).includes(`${BRIDGE}:`)) await execa('ip', ['link', 'del', BRIDGE], { reject: false });
  // host-local's bookkeeping (its lock and last reserved address), once no address is reserved.
  if (!before.ipam && existsSync(IPAM_DIR) && readdirSync(IPAM_DIR).every((f) => !/^\d/.test(f))) rmSync(IPAM_DIR, { recursive: true, force: true });
  await restoreCniRules(before.rules);
}
