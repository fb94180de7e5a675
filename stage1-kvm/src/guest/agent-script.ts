/**
 * The guest agent (busybox sh, in the initramfs at /bin/podstage-agent): the
 * guest end of the control channel, a virtio-serial port named
 * `podstage.agent` (the serial console is left to the kernel and init).
 * One line per message, fields separated by spaces:
 *
 *   host → guest   start <app> <base64 script>   run the app (script from translate.ts)
 *                  kill <app> <TERM|KILL|…>       signal the running app
 *                  exec <id> <base64 script>      run a command in a running app (enter)
 *                  halt                           leave the loop; init then halts
 *   guest → host   ready                          the agent is listening
 *                  exited <app> <status>          the app ended (128+n: killed by signal n)
 *                  exec-exited <id> <status>
 *
 * Scripts arrive over the channel, never through the shared directories, so
 * the host writes nothing the guest could have planted a symlink under.
 * Apps and exec'd commands never inherit the port (3>&-).
 */
import { GUEST_RUN_DIR } from './init-script.js';

export const AGENT_PORT_NAME = 'podstage.agent';
/** A running app's pid in the guest (written by exec-app once the app runs): signals and enter use it. */
export const guestAppPidFile = (app: string) => `${GUEST_RUN_DIR}/app-${app}.pid`;
/** pid 1 of the pod's shared pid namespace (exec-app pod-init), started with the agent. */
export const POD_INIT_PID_FILE = `${GUEST_RUN_DIR}/pod-init.pid`;

export const AGENT_SCRIPT = `#!/bin/busybox sh
P=${GUEST_RUN_DIR}
mkdir -p $P
# The pod's shared pid namespace, for the apps of a pod that asks for one (translate.ts).
/bin/podstage-exec-app pod-init --root $P --pid-file ${POD_INIT_PID_FILE} || echo "podstage guest: no pod pid namespace" >&2
port=
for d in /sys/class/virtio-ports/*; do
  [ "$(cat "$d/name" 2>/dev/null)" = ${AGENT_PORT_NAME} ] && port=/dev/\${d##*/}
done
[ -n "$port" ] || { echo "podstage guest: no virtio-serial port named ${AGENT_PORT_NAME}" >&2; exit 1; }
exec 3<>"$port"
run_app() {
  sh $P/app-$1.sh 3>&-
  echo "exited $1 $?" >&3
}
run_exec() {
  sh $P/exec-$1.sh 3>&- </dev/null >/out/exec-$1.stdout 2>/out/exec-$1.stderr
  echo "exec-exited $1 $?" >&3
  rm -f $P/exec-$1.sh
}
# A kill may come before the app's pid file is written: wait for it a little.
signal_app() {
  for i in $(seq 50); do [ -s ${guestAppPidFile('$1')} ] && break; sleep 0.1; done
  kill -$2 "$(cat ${guestAppPidFile('$1')} 2>/dev/null)" 2>/dev/null
}
echo ready >&3
while read -r op name arg <&3; do
  case "$op" in
    start) { echo "$arg" | base64 -d > $P/app-$name.sh && run_app "$name"; } & ;;
    kill) signal_app "$name" "$arg" & ;;
    exec) { echo "$arg" | base64 -d > $P/exec-$name.sh && run_exec "$name"; } & ;;
    halt) break ;;
    *) echo "podstage guest: unknown request $op" >&2 ;;
  esac
done
`;
