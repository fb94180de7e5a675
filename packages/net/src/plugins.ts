/**
 * Running CNI plugins (spec 1.0, "Execution protocol"): the command and the
 * container in environment variables, the plugin's configuration on stdin,
 * the result, or an error object, on stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract';

/** Debian's containernetworking-plugins, then the upstream default. */
export const CNI_PATH = ['/usr/lib/cni', '/opt/cni/bin'];

export function findPlugin(type: string): string | undefined {
  return CNI_PATH.map((d) => join(d, type)).find((p) => existsSync(p));
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface PluginCall {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifname: string;
  /** The plugin's configuration as it goes on stdin (name, cniVersion, prevResult, runtimeConfig added). */
  config: Record<string, unknown>;
}

/** A plugin's result (ADD) or nothing (DEL, CHECK); a plugin error becomes a PodstageError naming the network and plugin. */
export function runPlugin(call: PluginCall): Promise<Record<string, unknown> | undefined> {
  const type = String(call.config.type);
  const bin = findPlugin(type);
  if (bin === undefined) return Promise.reject(new PodstageError('ERR_PODSTAGE_NETWORK', `CNI plugin ${type} is not installed`, { hint: 'apt-get install containernetworking-plugins (scripts/setup.sh does)' }));
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command, CNI_CONTAINERID: call.containerId, CNI_NETNS: call.netns, CNI_IFNAME: call.ifname, CNI_PATH: CNI_PATH.join(':'),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const where = `network ${String(call.config.name)}, plugin ${type}, ${call.command}`;
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = out.trim() === '' ? undefined : (JSON.parse(out) as Record<string, unknown>);
      } catch {
        parsed = undefined;
      }
      if (code !== 0) {
        const msg = typeof parsed?.msg === 'string' ? `${parsed.msg}${typeof parsed.details === 'string' && parsed.details ? `: ${parsed.details}` : ''}` : (err || out).trim();
        reject(new PodstageError('ERR_PODSTAGE_NETWORK', `${where}: ${msg || `exit status ${String(code)}`}`));
        return;
      }
      resolve(parsed);
    });
    child.stdin.end(JSON.stringify(call.config));
  });
}
