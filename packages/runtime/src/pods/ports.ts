/**
 * rkt's `--port=NAME:[HOSTIP:]HOSTPORT`: the pod manifest's exposed ports
 * (appc `ports`) name ports the apps declare (appc app `ports`; an image's
 * ExposedPorts `8080/tcp` becomes `8080-tcp`, docker2aci's naming), and
 * become CNI port mappings like `-p`.
 */
import { PodstageError, type PodManifest, type PortMapping } from '@podstage/contract';

/** An OCI ExposedPorts key (`80/tcp`, `53/udp`, `8080`) as an appc app port. */
export function imagePort(key: string): { name: string; protocol: 'tcp' | 'udp'; port: number } | undefined {
  const m = /^([0-9]{1,5})(?:\/(tcp|udp))?$/.exec(key);
  if (m === null) return undefined;
  const protocol = (m[2] ?? 'tcp') as 'tcp' | 'udp';
  return { name: `${m[1]}-${protocol}`, protocol, port: Number(m[1]) };
}

export function manifestPortMappings(m: PodManifest): PortMapping[] {
  return (m.ports ?? []).map((exposed) => {
    const declared = m.apps.flatMap((a) => a.app.ports ?? []);
    const port = declared.find((p) => p.name === exposed.name);
    if (port === undefined) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `--port=${exposed.name}: no app of the pod declares a port named ${exposed.name}${declared.length > 0 ? ` (declared: ${declared.map((p) => p.name).join(', ')})` : ''}`, {
        hint: 'name a port the image exposes (its ExposedPorts 8080/tcp is 8080-tcp), or use -p HOSTPORT:PORT',
      });
    }
    return { hostPort: exposed.hostPort, containerPort: port.port, protocol: port.protocol, ...(exposed.hostIP === undefined ? {} : { hostIP: exposed.hostIP }) };
  });
}
