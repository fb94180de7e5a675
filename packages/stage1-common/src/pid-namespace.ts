/** Whether a pod's apps share one pid namespace, as Kubernetes' shareProcessNamespace asks. */
import { annotationValue, SHARE_PID_ANNOTATION, type PodManifest } from '@podstage/contract';

/** By default each app has a pid namespace of its own (and is its pid 1). */
export function sharesPidNamespace(m: PodManifest): boolean {
  return annotationValue(m.annotations, SHARE_PID_ANNOTATION) === 'true';
}
