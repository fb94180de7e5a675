import { status } from '@grpc/grpc-js';
import { addApp } from '@podstage/runtime';
import { appName, containerRequest } from '../container-spec.js';
import { GrpcError, nowNanos } from '@podstage/grpc';
import { containerId } from '../ids.js';
import { requestedLogPath } from '../logs.js';
import type { ContainerConfig } from '../messages.js';
import type { ContainerRecord } from '../records.js';
import { requireSandbox } from '../state.js';
import type { Rpc } from './types.js';

/** The container becomes an app of the sandbox, created and not started. */
export const CreateContainer: Rpc = async (ctx, req: { pod_sandbox_id: string; config: ContainerConfig | null }) => {
  const sandbox = requireSandbox(ctx.dataDir, req.pod_sandbox_id);
  if (!sandbox.ready) throw new GrpcError(status.FAILED_PRECONDITION, `pod sandbox ${sandbox.ref.uuid} is not ready`);
  if (req.config === null) throw new GrpcError(status.INVALID_ARGUMENT, 'config: expected a container config');
  const app = appName(req.config);
  const record: ContainerRecord = {
    metadata: { name: req.config.metadata?.name ?? app, attempt: req.config.metadata?.attempt ?? 0 },
    labels: req.config.labels, annotations: req.config.annotations, image: req.config.image?.image ?? '', logPath: req.config.log_path,
    createdAt: nowNanos().toString(),
  };
  const logFile = requestedLogPath(sandbox.record.logDirectory, req.config.log_path);
  const name = await addApp(ctx.dataDir, ctx.stage1s, sandbox.ref.uuid, containerRequest(req.config, app, record, { logFile, sandboxPrivileged: sandbox.record.privileged === true }), { store: ctx.store, fetch: { ...ctx.fetch, pullPolicy: 'never' } });
  return { container_id: containerId(sandbox.ref.uuid, name) };
};
