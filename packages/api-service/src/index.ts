/**
 * @podstage/api-service: rkt's read-only API (v1alpha PublicAPI: GetInfo,
 * ListPods, InspectPod, ListImages, InspectImage, ListenEvents, GetLogs) over
 * the pods and images on disk. It only reads, and never takes a lock a pod holds.
 */
export type { ApiContext } from './context.js';
export { createApiServer } from './server.js';
export { PROTO_FILE, publicApi } from './proto.js';
