/**
 * Debian's bridge plugin (1.1) finds the addresses whose masquerading its DEL
 * undoes on the pod's live interface. When that interface is already gone (an
 * app given CAP_NET_ADMIN deleted it), DEL succeeds and leaves the NAT rule
 * and chain it made for the pod. Both carry the container's ID in the rule's
 * comment: whatever is left of them is removed after the DEL.
 */
import { spawnSync } from 'node:child_process';

const iptables = (args: string[]) => spawnSync('iptables', ['-w', ...args], { encoding: 'utf8' });

export function removeMasqueradeLeftovers(containerId: string): void {
  const listed = iptables(['-t', 'nat', '-L', 'POSTROUTING', '--line-numbers', '-n']);
  if (listed.status !== 0) return;
  const tag = `id: "${containerId}" */`;
  const rules = listed.stdout.split('\n').filter((l) => l.endsWith(tag)).map((l) => l.trim().split(/\s+/) as [string, string]);
  // Highest number first, so the numbers left to delete stay valid.
  for (const [num, target] of rules.reverse()) {
    iptables(['-t', 'nat', '-D', 'POSTROUTING', num]);
    if (target.startsWith('CNI-')) {
      iptables(['-t', 'nat', '-F', target]);
      iptables(['-t', 'nat', '-X', target]);
    }
  }
}
