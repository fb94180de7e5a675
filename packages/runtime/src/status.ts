/**
 * The read-only part of the runtime: where pods are and what state they are in,
 * without taking any lock a running pod holds. Light to import (`list`, `status`).
 */
export {
  findPod, listPodRefs, monitorGone, podState, secondsInState, type PodRef, type PodState,
} from './pods/lifecycle.js';
export { appInfos, podInfo, type AppInfo as PodAppInfo, type AppState, type AppStatus, type PodInfo } from './pods/info.js';
