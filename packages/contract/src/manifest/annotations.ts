import type { Annotation } from './types.js';

/** The value of the annotation `name` (pod or image manifest), if present. */
export function annotationValue(annotations: readonly Annotation[] | undefined, name: string): string | undefined {
  return annotations?.find((a) => a.name === name)?.value;
}

/**
 * An app annotation stage0 sets (the CRI: log_directory/log_path): the absolute host path
 * where the app's CRI log is written, in place of `apps/<app>/log`, which then links to it.
 */
export const LOG_PATH_ANNOTATION = 'podstage.io/log-path';
