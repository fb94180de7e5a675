/**
 * The pod's /etc/hosts, /etc/resolv.conf and /etc/hostname, written by stage0
 * into the pod directory (`etc/`) and bound read-only into every app by the
 * stage1s (planApp), as kubelet manages a Kubernetes pod's: on CNI networks
 * always, on the host's network or none only for what was asked.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { cniNetworks, defaultPodHostname, pod, writeFileAtomic, type PodEtcFile, type PodOptions } from '@podstage/contract';

/** `--dns=host` and `--hosts-entry=host`: the host's own file. */
export const FROM_HOST = 'host';

function write(podDir: string, name: PodEtcFile, text: string): void {
  mkdirSync(dirname(pod.etcFile(podDir, name)), { recursive: true });
  writeFileAtomic(pod.etcFile(podDir, name), text, 0o644, { durable: false });
}

function copyFromHost(podDir: string, name: PodEtcFile): void {
  mkdirSync(dirname(pod.etcFile(podDir, name)), { recursive: true });
  copyFileSync(`/etc/${name}`, pod.etcFile(podDir, name));
}

export function resolvConf(dns: NonNullable<PodOptions['dns']>): string {
  return [
    ...dns.servers.map((s) => `nameserver ${s}`),
    ...(dns.domain === undefined ? [] : [`domain ${dns.domain}`]),
    ...(dns.searches.length > 0 ? [`search ${dns.searches.join(' ')}`] : []),
    ...(dns.options.length > 0 ? [`options ${dns.options.join(' ')}`] : []),
  ].join('\n') + '\n';
}

export function hostsFile(hostname: string, addresses: string[], entries: string[]): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...addresses.map((a) => `${a.split('/')[0]}\t${hostname}`),
    ...entries,
  ].join('\n') + '\n';
}

/** `addresses`: what CNI gave the pod (CIDR). */
export function writePodEtcFiles(podDir: string, uuid: string, o: PodOptions, addresses: string[]): void {
  const onCni = cniNetworks(o.net).length > 0;
  const hostname = o.hostname ?? defaultPodHostname(uuid);
  if (onCni || o.hostname !== undefined) write(podDir, 'hostname', `${hostname}\n`);
  if (o.dns?.servers.includes(FROM_HOST) === true || (o.dns === undefined && onCni)) copyFromHost(podDir, 'resolv.conf');
  else if (o.dns !== undefined) write(podDir, 'resolv.conf', resolvConf(o.dns));
  if (o.hostsEntries?.includes(FROM_HOST) === true) copyFromHost(podDir, 'hosts');
  else if (onCni || o.hostsEntries !== undefined) write(podDir, 'hosts', hostsFile(hostname, addresses, o.hostsEntries ?? []));
}
