/** Whether a pod's apps share one pid namespace, as Kubernetes' shareProcessNamespace asks. */
import { annotationValue, type PodManifest } from '@podstage/contract';

export const SHARE_PID_ANNOTATION = 'podstage.io/share-pid-namespace';

/** By default each app has a pid namespace of its own (and is its pid 1). */
export function sharesPidNamespace(m: PodManifest): boolean {
  return annotationValue(m.annotations, SHARE_PID_ANNOTATION) === 'true';
}
