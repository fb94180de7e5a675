/**
 * CRI ids. A sandbox is a pod: its id is the pod's UUID (what `podstage list`
 * shows). A container is an app of it: its id is derived from both, so an app
 * added by the CLI has one too, and none has to be stored.
 */
import { createHash } from 'node:crypto';

export const containerId = (uuid: string, app: string): string => createHash('sha256').update(`${uuid}/${app}`).digest('hex');
