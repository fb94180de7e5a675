/**
 * The control channel between the host and a pod's supervisor: one JSON
 * request per connection on a unix socket in the pod directory, one JSON
 * reply. Used by stop and the app-* entrypoints (mutable pods), and by enter
 * where the apps are out of the host's reach (kvm: `exec`, whose output goes
 * where that stage1 says).
 */
export type ControlRequest =
  | { op: 'status' }
  | { op: 'stop'; force: boolean }
  | { op: 'app-start'; app: string }
  | { op: 'app-stop'; app: string; force: boolean }
  | { op: 'app-rm'; app: string }
  | { op: 'exec'; app: string; id: string; argv: string[] };

export interface AppStatus {
  name: string;
  state: 'running' | 'exited';
  pid?: number;
  exitCode?: number;
}

export type ControlReply = { ok: true; apps?: AppStatus[]; exitCode?: number } | { ok: false; error: string };
