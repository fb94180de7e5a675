/**
 * The guest agent (busybox sh, in the initramfs at /bin/podstage-agent): the
 * guest end of the control channel, a virtio-serial port named
 * `podstage.agent` (the serial console is left to the kernel and init).
 * One line per request, fields separated by spaces; the host's end is a pair
 * of FIFOs that short-lived commands write to (host/kvm-io.c):
 *
 *   host → guest   start <app> [stdin | tty <columns> <rows>]
 *                                  run /pod/scripts/app-<app>.sh (translate.ts appScript); its
 *                                  stdin and terminal as for exec (ABI 6: an app to attach to)
 *                  kill <app> <TERM|KILL|…>
 *                                  signal the running app
 *                  exec <id> [stdin | tty <columns> <rows>]
 *                                  run /pod/scripts/exec-<id>.sh in a running app (enter): its
 *                                  stdin /dev/null, or what `input` lines bring, on a terminal
 *                                  of the given size (podstage-tty) with `tty`
 *                  input <name> <base64>
 *                                  bytes for the stdin of exec-<id> or of an app
 *                  input-end <name>
 *                                  the end of its stdin
 *                  resize <name> <columns> <rows>
 *                                  its terminal's new size
 *                  signal exec-<id> <SIG>
 *                                  signal the command (its caller went away)
 *                  update <id> <app> <memory-bytes|-> <cpu-quota-us|->
 *                                  new limits in the app's cgroup
 *                  stats <id> <app>
 *                                  the app's cgroup figures, as \`key value\` lines
 *                  halt            leave the loop; init then halts
 *   guest → host   ready           once, when the agent is listening
 *
 * Everything else the guest reports is a file in the output share (/out):
 * <app>.stdout and <app>.stderr as the app writes them, then <app>.exit with
 * its status (128+n: killed by signal n), after <app>.oom-killed when the OOM
 * killer ended it (the app script, translate.ts); exec-<id>.*, update.<id>.* and
 * stats.<id>.* likewise (app names hold no dot). A status is
 * written aside and renamed, so the host never reads half of one.
 * Scripts come from the pod export, which the guest cannot write, never from
 * a share the guest could plant a symlink in. Apps and exec'd commands never
 * inherit the port (3>&-). Ids and words are checked by the host (kvm-io send,
 * agent-requests.ts): no spaces, no shell metacharacters reach this script.
 */
import { CPU_PERIOD_US } from '@podstage/contract';
import { GUEST_RUN_DIR, guestCgroup } from './init-script.js';

export const AGENT_PORT_NAME = 'podstage.agent';
/** Where the host puts the app and exec scripts (its share/scripts, read-only in the guest). */
export const GUEST_SCRIPTS_DIR = '/pod/scripts';
/** A running app's pid in the guest (written by exec-app once the app runs): signals and enter use it. */
export const guestAppPidFile = (app: string) => `${GUEST_RUN_DIR}/app-${app}.pid`;
/** The stdin FIFO of an app or exec (`name` as in /out), which `input` requests feed. */
export const guestInputFifo = (name: string) => `${GUEST_RUN_DIR}/${name}.in`;
/** Its terminal's size ("COLUMNS ROWS", podstage-tty's SIZE_FILE) and the pid of its podstage-tty. */
export const guestTtySizeFile = (name: string) => `${GUEST_RUN_DIR}/${name}.size`;
export const guestTtyPidFile = (name: string) => `${GUEST_RUN_DIR}/${name}.tty`;
/** pid 1 of the pod's shared pid namespace (exec-app pod-init), started with the agent. */
export const POD_INIT_PID_FILE = `${GUEST_RUN_DIR}/pod-init.pid`;

export const AGENT_SCRIPT = `#!/bin/busybox sh
P=${GUEST_RUN_DIR}
mkdir -p $P
# The pod's sysctls ("NAME VALUE" lines from the host's driver.ts), set before any app starts;
# one that cannot be set ends the boot, and the host reports this console's last lines.
if [ -s ${GUEST_SCRIPTS_DIR}/sysctls ]; then
  while read -r name value; do
    echo "$value" >/proc/sys/$(echo "$name" | tr . /) || { echo "podstage guest: cannot set sysctl $name to $value" >&2; exit 1; }
  done <${GUEST_SCRIPTS_DIR}/sysctls
fi
# The pod's shared pid namespace, for the apps of a pod that asks for one (translate.ts).
/bin/podstage-exec-app pod-init --root $P --pid-file ${POD_INIT_PID_FILE} || echo "podstage guest: no pod pid namespace" >&2
port=
for d in /sys/class/virtio-ports/*; do
  [ "$(cat "$d/name" 2>/dev/null)" = ${AGENT_PORT_NAME} ] && port=/dev/\${d##*/}
done
[ -n "$port" ] || { echo "podstage guest: no virtio-serial port named ${AGENT_PORT_NAME}" >&2; exit 1; }
exec 3<>"$port"
# The status of a finished app or command ($1), written aside and renamed into place.
report() {
  echo "$2" >/out/.$1.exit && mv -f /out/.$1.exit /out/$1.exit
}
# A command's stdin ($1: its name, as in /out): a FIFO that a keeper holds open for writing
# (opened read-write, which never blocks) until input-end, so the command sees its end only then;
# with $2 = tty, its terminal's size ($3 columns, $4 rows) too. Set up before the next request is
# read: input may follow at once. The FIFO is opened here, not in the keeper, which would open it
# some time after the fork: input written before that would have had no holder and been lost.
open_input() {
  [ -n "$2" ] || return 0
  mkfifo $P/$1.in && exec 4<>$P/$1.in && { sleep 2147483647 >&4 3>&- 4>&- & echo $! >$P/$1.keeper; exec 4>&-; }
  [ "$2" = tty ] && echo "$3 $4" >$P/$1.size
}
end_input() {
  [ -s $P/$1.keeper ] && kill "$(cat $P/$1.keeper)" 2>/dev/null
  rm -f $P/$1.keeper
}
# Once the command has ended.
close_input() {
  end_input "$1"
  rm -f $P/$1.in $P/$1.size $P/$1.tty
}
# The app script reads its stdin FIFO and runs podstage-tty itself (translate.ts appScript).
run_app() {
  sh ${GUEST_SCRIPTS_DIR}/app-$1.sh 3>&-
  status=$?
  close_input "$1"
  report "$1" $status
}
run_exec() {
  n=exec-$1 in=/dev/null
  [ -p $P/$n.in ] && in=$P/$n.in
  if [ "$2" = tty ]; then
    /bin/podstage-tty $P/$n.size -- sh ${GUEST_SCRIPTS_DIR}/$n.sh 3>&- <"$in" >/out/$n.stdout 2>/out/$n.stderr &
    echo $! >$P/$n.tty
  else
    sh ${GUEST_SCRIPTS_DIR}/$n.sh 3>&- <"$in" >/out/$n.stdout 2>/out/$n.stderr &
  fi
  echo $! >$P/$n.pid
  wait $!
  status=$?
  close_input "$n"
  rm -f $P/$n.pid
  report "$n" $status
}
input() {
  [ -p $P/$1.in ] && printf %s "$2" | base64 -d 1<>$P/$1.in
}
update_app() {
  C=${guestCgroup('$2')}
  { { [ "$3" = - ] || echo "$3" >$C/memory.max; } && { [ "$4" = - ] || echo "$4 ${CPU_PERIOD_US}" >$C/cpu.max; }; } 2>/out/update.$1.stderr
  report "update.$1" $?
}
stats_app() {
  C=${guestCgroup('$2')}
  { echo "procs $(wc -l <$C/cgroup.procs)" && echo "memory.current $(cat $C/memory.current)" && cat $C/memory.stat $C/cpu.stat; } >/out/stats.$1.stdout 2>/out/stats.$1.stderr
  report "stats.$1" $?
}
resize() {
  [ -e $P/$1.size ] && echo "$2 $3" >$P/$1.size && kill -WINCH "$(cat $P/$1.tty 2>/dev/null)" 2>/dev/null
}
# A kill may come before the app's pid file is written: wait for it a little.
signal_app() {
  for i in $(seq 50); do [ -s ${guestAppPidFile('$1')} ] && break; sleep 0.1; done
  kill -$2 "$(cat ${guestAppPidFile('$1')} 2>/dev/null)" 2>/dev/null
}
echo ready >&3
while read -r op name arg <&3; do
  case "$op" in
    start) open_input "$name" $arg; run_app "$name" & ;;
    kill) signal_app "$name" "$arg" & ;;
    exec) open_input "exec-$name" $arg; run_exec "$name" $arg & ;;
    input) input "$name" "$arg" ;;
    input-end) end_input "$name" ;;
    resize) resize "$name" $arg ;;
    signal) kill -$arg "$(cat $P/$name.pid 2>/dev/null)" 2>/dev/null ;;
    update) update_app "$name" $arg & ;;
    stats) stats_app "$name" $arg & ;;
    halt) break ;;
    *) echo "podstage guest: unknown request $op" >&2 ;;
  esac
done
`;
