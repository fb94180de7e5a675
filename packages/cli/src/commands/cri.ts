import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir, dataDir, openStore } from '../cli/context.js';
import { cliFetchOptions } from '../cli/pod-request.js';
import { STAGE1S } from '../stage1s.js';

export const DEFAULT_CRI_SOCKET = 'unix:///run/podstage/cri.sock';

/** `--runtime-handler=NAME=STAGE1[:OCI_RUNTIME]`, repeatable: RuntimeClass handlers beyond host, runc, crun, kvm and fly. */
function handlers(values: string[] | undefined, base: Record<string, string>): Record<string, string> {
  const out = { ...base };
  for (const v of values ?? []) {
    const m = /^([a-z0-9][-a-z0-9.]*)=([a-z0-9-]+(?::[a-z0-9-]+)?)$/.exec(v);
    if (m === null) throw new PodstageError('ERR_PODSTAGE_USAGE', `--runtime-handler: expected NAME=STAGE1 or NAME=STAGE1:OCI_RUNTIME, got ${JSON.stringify(v)}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export const command: Command = {
  name: 'cri',
  summary: "Serve Kubernetes' Container Runtime Interface (runtime.v1) for the kubelet and crictl, until SIGTERM or SIGINT.",
  usage: 'cri [--listen=ADDRESS] [--streaming-address=HOST:PORT] [--default-stage1=NAME] [--seccomp-when-empty=PROFILE] [--runtime-handler=NAME=STAGE1[:OCI_RUNTIME]]...',
  options: {
    listen: { type: 'string', valueName: 'ADDRESS', description: `unix:///PATH or HOST:PORT (default ${DEFAULT_CRI_SOCKET})` },
    'streaming-address': { type: 'string', valueName: 'HOST:PORT', description: 'where the streaming server of Exec, Attach and PortForward listens (default 127.0.0.1:0, any free port: the kubelet proxies to it)' },
    'default-stage1': { type: 'string', valueName: 'NAME', description: 'the stage1 of a pod that names none by annotation or RuntimeClass handler (default: runc)' },
    'runtime-handler': { type: 'string', multiple: true, valueName: 'NAME=STAGE1', description: 'a RuntimeClass handler and the stage1 it chooses, with the OCI runtime of one that runs one (host, runc, crun = runc:crun, kvm and fly are known)' },
    'seccomp-when-empty': { type: 'string', valueName: 'PROFILE', description: "the seccomp profile of a container that names none: RuntimeDefault (podstage's default profile, the default) or Unconfined (the CRI's documented default for an empty seccomp_profile_path; the kubelet always names one)" },
    authfile: { type: 'string', valueName: 'FILE', description: 'registry credentials for PullImage (containers-auth.json)' },
  },
  async run({ global, values }) {
    const { createCriServer, DEFAULT_CRI_STAGE1, DEFAULT_HANDLERS, DEFAULT_STREAMING_ADDRESS, SECCOMP_WHEN_EMPTY, StreamingServer } = await import('@podstage/cri');
    const seccompWhenEmpty = values['seccomp-when-empty'] as string | undefined;
    if (seccompWhenEmpty !== undefined && !(SECCOMP_WHEN_EMPTY as readonly string[]).includes(seccompWhenEmpty)) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `--seccomp-when-empty=${seccompWhenEmpty}: expected ${SECCOMP_WHEN_EMPTY.join(' or ')}`);
    }
    const { serveUntilSignal } = await import('@podstage/grpc');
    const address = (values.listen as string | undefined) ?? DEFAULT_CRI_SOCKET;
    const ctx = {
      dataDir: dataDir(global), configDir: configDir(global), stage1s: STAGE1S, store: await openStore(global),
      fetch: cliFetchOptions(global, values as Parameters<typeof cliFetchOptions>[1]), handlers: handlers(values['runtime-handler'] as string[] | undefined, DEFAULT_HANDLERS),
      defaultStage1: (values['default-stage1'] as string | undefined) ?? DEFAULT_CRI_STAGE1,
      seccompWhenEmpty: seccompWhenEmpty as (typeof SECCOMP_WHEN_EMPTY)[number] | undefined,
    };
    const streaming = new StreamingServer(ctx);
    const streamingAddress = (values['streaming-address'] as string | undefined) ?? DEFAULT_STREAMING_ADDRESS;
    try {
      await streaming.listen(streamingAddress);
    } catch (e) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `--streaming-address=${streamingAddress}: ${(e as Error).message.replace(/^--streaming-address: /, '')}`);
    }
    try {
      await serveUntilSignal(createCriServer({ ...ctx, streaming }), address, 'podstage cri (runtime.v1)');
    } finally {
      await streaming.close();
    }
    return 0;
  },
};
