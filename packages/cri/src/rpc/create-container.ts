import { status } from '@grpc/grpc-js';
import { addApp } from '@podstage/runtime';
import { appName } from '../app-name.js';
import { containerRequest } from '../container-spec.js';
import { GrpcError, nowNanos } from '@podstage/grpc';
import { containerId } from '../ids.js';
import { requestedLogPath } from '../logs.js';
import type { ContainerConfig } from '../messages.js';
import type { ContainerRecord } from '../records.js';
import { findContainer, requireSandbox } from '../state.js';
import type { Rpc } from './types.js';

/** The pid namespace TARGET (kubectl debug --target): another container of the same sandbox, by its app's name. */
function targetApp(dataDir: string, sandbox: string, config: ContainerConfig): string | undefined {
  const ns = config.linux?.security_context?.namespace_options;
  if (ns?.pid !== 'TARGET') return undefined;
  const field = 'config.linux.security_context.namespace_options.target_id';
  const target = findContainer(dataDir, ns.target_id);
  if (target === undefined || target.sandbox.ref.uuid !== sandbox) throw new GrpcError(status.NOT_FOUND, `${field}: no container ${JSON.stringify(ns.target_id)} in pod sandbox ${sandbox}`);
  return target.app.name;
}

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
  const pidTarget = targetApp(ctx.dataDir, sandbox.ref.uuid, req.config);
  const request = containerRequest(req.config, app, record, { logFile, sandboxPrivileged: sandbox.record.privileged === true, seccompWhenEmpty: ctx.seccompWhenEmpty, ...(pidTarget === undefined ? {} : { pidTarget }) });
  const name = await addApp(ctx.dataDir, ctx.stage1s, sandbox.ref.uuid, request, { store: ctx.store, fetch: { ...ctx.fetch, pullPolicy: 'never' } });
  return { container_id: containerId(sandbox.ref.uuid, name) };
};
