/**
 * @podstage/cri: a Kubernetes CRI (runtime.v1) server over @podstage/runtime,
 * @podstage/images and @podstage/net. A sandbox is a mutable pod, a container
 * an app of it; the stage1 is chosen per pod. The caller hands in the stage1
 * registry (the CLI's built-ins): this package imports no stage1.
 */
export { DEFAULT_CRI_STAGE1, DEFAULT_HANDLERS, SECCOMP_WHEN_EMPTY, type CriContext, type SeccompWhenEmpty } from './context.js';
export { createCriServer } from './server.js';
export { criServices, PROTO_FILE } from './proto.js';
export { containerId } from './ids.js';
export { StreamingServer, DEFAULT_STREAMING_ADDRESS } from './streaming/server.js';
