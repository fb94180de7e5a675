/**
 * A TCP connection to a port of a running pod, as the CRI's PortForward makes
 * them: to the pod's own localhost, as Kubernetes does.
 *  - host network: the host's loopback;
 *  - a network namespace of the pod's (CNI): socat joined to it with nsenter
 *    (what CRI-O and dockershim did), so the server itself never changes namespace;
 *  - a stage1 whose apps have a network stack of their own behind the pod's
 *    interface (`net:guest` in stage1.json, kvm): the pod's address, as its
 *    localhost is inside the guest.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { PodstageError, readPodOptions } from '@podstage/contract';
import { readPodNetwork } from '@podstage/net/state';
import { readPodStage1 } from '../stage1/invoke.js';
import { findPod } from './lifecycle.js';
import { requireRunning } from './stop.js';

export interface PodConnection {
  stream: Duplex;
  /** Why the connection failed or ended badly, once it did; undefined when it ended well. */
  failure: Promise<string | undefined>;
}

const SOCAT = '/usr/bin/socat';
const NSENTER = '/usr/bin/nsenter';
/** What a stage1 says when its apps' localhost is not the pod's network namespace's. */
export const GUEST_NETWORK_CAPABILITY = 'net:guest';

export function connectToPodPort(dataDir: string, id: string, port: number): PodConnection {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PodstageError('ERR_PODSTAGE_USAGE', `port ${port}: expected 1-65535`);
  const ref = findPod(dataDir, id);
  requireRunning(ref);
  const network = readPodNetwork(ref.path);
  if (network === undefined) {
    if (readPodOptions(ref.path).net !== 'host') throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `pod ${ref.uuid} has no network to forward a port to (--net=none)`);
    return tcp('127.0.0.1', port);
  }
  if ((readPodStage1(ref.path).manifest.capabilities ?? []).includes(GUEST_NETWORK_CAPABILITY)) {
    const address = network.networks[0]?.ips[0]?.split('/')[0];
    if (address === undefined) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} has no address on its network`);
    return tcp(address, port);
  }
  return inNamespace(network.netns, port);
}

function tcp(host: string, port: number): PodConnection {
  const socket = connect({ host, port });
  const failure = new Promise<string | undefined>((resolve) => {
    socket.once('error', (e) => resolve(`connecting to ${host}:${port}: ${e.message}`));
    socket.once('close', () => resolve(undefined));
  });
  return { stream: socket, failure };
}

function inNamespace(netns: string, port: number): PodConnection {
  if (!existsSync(SOCAT)) throw new PodstageError('ERR_PODSTAGE_HOST', 'port forwarding into a pod needs socat, which is not installed', { hint: 'apt-get install socat (scripts/setup.sh does)' });
  const child = spawn(NSENTER, [`--net=${netns}`, '--', SOCAT, '-', `TCP4:127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const failure = new Promise<string | undefined>((resolve) => {
    child.once('error', (e) => resolve(`socat: ${e.message}`));
    child.once('close', (code) => resolve(code === 0 ? undefined : `connecting to port ${port} in the pod: ${stderr.trim().split('\n').pop()?.replace(/^.*?socat\[\d+\] E /, '') ?? `socat exited with ${code}`}`));
  });
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  stream.on('close', () => child.kill());
  return { stream, failure };
}
