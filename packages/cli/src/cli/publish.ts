/** podman's `-p/--publish [HOSTIP:]HOSTPORT:PORT[/tcp|udp]` → CNI port mappings. */
import { PodstageError, type PortMapping } from '@podstage/contract';

const PUBLISH = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

function port(spec: string, what: string, value: string): number {
  const n = Number(value);
  if (n < 1 || n > 65535) throw new PodstageError('ERR_PODSTAGE_USAGE', `--publish ${spec}: ${what} ${value} is not a port (1-65535)`);
  return n;
}

export function parsePublish(spec: string): PortMapping {
  const m = PUBLISH.exec(spec);
  if (m === null) throw new PodstageError('ERR_PODSTAGE_USAGE', `--publish: expected [HOSTIP:]HOSTPORT:PORT[/tcp|udp], got ${JSON.stringify(spec)}`);
  const [, hostIP, hostPort, containerPort, protocol] = m;
  return {
    hostPort: port(spec, 'host port', hostPort as string), containerPort: port(spec, 'pod port', containerPort as string),
    protocol: (protocol ?? 'tcp') as 'tcp' | 'udp', ...(hostIP === undefined ? {} : { hostIP }),
  };
}
