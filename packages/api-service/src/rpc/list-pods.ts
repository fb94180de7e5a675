import { listPodRefs } from '@podstage/runtime/status';
import type { ApiContext } from '../context.js';
import { apiPod, podMatches, type PodFilter } from '../pods.js';

/** Every pod in every state; `detail` adds the pod manifests. */
export async function ListPods(ctx: ApiContext, req: { filters: PodFilter[]; detail: boolean }) {
  const pods = listPodRefs(ctx.dataDir).map((ref) => apiPod(ref, req.detail));
  return { pods: req.filters.length === 0 ? pods : pods.filter((p) => req.filters.some((f) => podMatches(p, f))) };
}
