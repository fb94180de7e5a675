import type { Annotation } from './types.js';

/** The value of the annotation `name` (pod or image manifest), if present. */
export function annotationValue(annotations: readonly Annotation[] | undefined, name: string): string | undefined {
  return annotations?.find((a) => a.name === name)?.value;
}
