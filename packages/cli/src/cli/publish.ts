/** podman's `-p/--publish [HOSTIP:]HOSTPORT:PORT[/tcp|udp]` and rkt's `--port` → port mappings. */
import { PodstageError, type ExposedPort, type PortMapping } from '@podstage/contract';

const PUBLISH = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

function port(flag: string, spec: string, what: string, value: string): number {
  const n = Number(value);
  if (n < 1 || n > 65535) throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag} ${spec}: ${what} ${value} is not a port (1-65535)`);
  return n;
}

const PORT = /^([a-z0-9][a-z0-9-]*):(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5})$/;

/** rkt's `--port=NAME:[HOSTIP:]HOSTPORT` → the pod manifest's exposed port. */
export function parsePort(spec: string): ExposedPort {
  const m = PORT.exec(spec);
  if (m === null) throw new PodstageError('ERR_PODSTAGE_USAGE', `--port: expected NAME:[HOSTIP:]HOSTPORT, got ${JSON.stringify(spec)}`);
  const [, name, hostIP, hostPort] = m;
  return { name: name as string, hostPort: port('--port', spec, 'host port', hostPort as string), ...(hostIP === undefined ? {} : { hostIP }) };
}

export function parsePublish(spec: string): PortMapping {
  const m = PUBLISH.exec(spec);
  if (m === null) throw new PodstageError('ERR_PODSTAGE_USAGE', `--publish: expected [HOSTIP:]HOSTPORT:PORT[/tcp|udp], got ${JSON.stringify(spec)}`);
  const [, hostIP, hostPort, containerPort, protocol] = m;
  return {
    hostPort: port('--publish', spec, 'host port', hostPort as string), containerPort: port('--publish', spec, 'pod port', containerPort as string),
    protocol: (protocol ?? 'tcp') as 'tcp' | 'udp', ...(hostIP === undefined ? {} : { hostIP }),
  };
}
