/** rkt's and podman's name-resolution flags → the pod's hostname, resolv.conf and hosts (PodOptions). */
import { isIP } from 'node:net';
import { PodstageError, type DnsOptions } from '@podstage/contract';

const LABEL = '[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
/** The kernel's limit for a UTS hostname. */
const HOST_NAME_MAX = 64;

const usage = (flag: string, expected: string, got: string) => new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: expected ${expected}, got ${JSON.stringify(got)}`);

function hostname(flag: string, value: string): string {
  if (!HOSTNAME.test(value) || value.length >= HOST_NAME_MAX) throw usage(flag, `a host name (letters, digits, - and ., under ${HOST_NAME_MAX} characters)`, value);
  return value;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

export interface NameFlags {
  hostname?: string;
  dns?: DnsOptions;
  hostsEntries?: string[];
}

export function nameFlags(flags: Record<string, unknown>): NameFlags {
  const out: NameFlags = {};
  if (typeof flags.hostname === 'string') out.hostname = hostname('--hostname', flags.hostname);
  const servers = list(flags.dns);
  for (const s of servers) if (s !== 'host' && isIP(s) === 0) throw usage('--dns', 'an IP address or host', s);
  if (servers.includes('host') && servers.length > 1) throw usage('--dns', 'host alone (the host\'s resolv.conf) or IP addresses', servers.join(','));
  const searches = list(flags['dns-search']).map((d) => hostname('--dns-search', d));
  const options = list(flags['dns-opt']);
  for (const o of options) if (!/^[a-z0-9-]+(:[0-9]+)?$/.test(o)) throw usage('--dns-opt', 'a resolver option such as ndots:2 or edns0', o);
  const domain = typeof flags['dns-domain'] === 'string' ? hostname('--dns-domain', flags['dns-domain']) : undefined;
  if (servers.length > 0 || searches.length > 0 || options.length > 0 || domain !== undefined) {
    out.dns = { servers, searches, options, ...(domain === undefined ? {} : { domain }) };
  }
  const entries = list(flags['hosts-entry']);
  if (entries.length > 0) {
    out.hostsEntries = entries.map((e) => {
      if (e === 'host') return e;
      const [ip = '', name = ''] = e.split('=');
      if (isIP(ip) === 0 || !HOSTNAME.test(name)) throw usage('--hosts-entry', 'IP=HOSTNAME or host', e);
      return `${ip}\t${name}`;
    });
    if (out.hostsEntries.includes('host') && out.hostsEntries.length > 1) throw usage('--hosts-entry', 'host alone (the host\'s /etc/hosts) or IP=HOSTNAME entries', entries.join(','));
  }
  return out;
}
