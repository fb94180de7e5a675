/**
 * The control channel between the host and a pod's supervisor: one JSON
 * request per connection on a unix socket in the pod directory, one JSON
 * reply. Used by stop and the app-* entrypoints (mutable pods).
 */
export type ControlRequest =
  | { op: 'status' }
  | { op: 'stop'; force: boolean }
  | { op: 'app-start'; app: string }
  | { op: 'app-stop'; app: string; force: boolean }
  | { op: 'app-rm'; app: string };

export interface AppStatus {
  name: string;
  state: 'running' | 'exited';
  pid?: number;
  exitCode?: number;
}

export type ControlReply = { ok: true; apps?: AppStatus[] } | { ok: false; error: string };
