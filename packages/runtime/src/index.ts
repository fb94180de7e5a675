/**
 * @podstage/runtime: the pod lifecycle as a library, the same for every front
 * end (the CLI, a CRI server, the bench). Stage1s come from a registry the
 * caller hands in (the CLI's built-in list); pods live under a data directory
 * laid out by @podstage/contract. `@podstage/runtime/status` is the light,
 * read-only part.
 */
export * from './status.js';
export { ensurePodDirs, move } from './pods/lifecycle.js';
export { prepare, resolveImage, type PodSpec, type PrepareOptions } from './prepare.js';
export {
  buildPodManifest, cpuIsolator, memoryIsolator, type AppRequest, type PodRequest, type ResolvedImage,
} from './pods/build-manifest.js';
export { discardPod, type PreparedPod } from './pods/prepare.js';
export { launchPod, type LaunchFlags } from './pods/launch.js';
export { startDetached, type DetachedPod } from './pods/start-detached.js';
export { gcPods, type GcPodsOptions, type GcReport } from './pods/gc.js';
export { deletePod, removePod } from './pods/remove.js';
export { checkPodNetwork, enterPod, enterTarget, stopPod } from './pods/stop.js';
export { reopenAppLog } from './pods/logs.js';
export { attachToApp, type AppAttachment, type OutputStream } from './pods/attach.js';
export { connectToPodPort, GUEST_NETWORK_CAPABILITY, type PodConnection } from './pods/port.js';
export { execInPod, spawnInPod, type ExecResult, type PodProcess, type SpawnInPodOptions } from './pods/exec.js';
export { imagesInUse } from './pods/images-in-use.js';
export { gcImages, removeImage } from './images.js';
export { addApp, controlApp, type AddAppOptions } from './pods/apps.js';
export { appUsage, updateAppResources, type AppResources } from './pods/resources.js';
export { imagePort, manifestPortMappings } from './pods/ports.js';
export type { Stage1Registry } from './stage1/registry.js';
export { chooseStage1, readStage1Dir, STAGE1_ANNOTATIONS, type Stage1Choice, type Stage1Flags } from './stage1/select.js';
export { callApp, callGc, callStop, handOverEnter, handOverRun, readPodStage1 } from './stage1/invoke.js';
