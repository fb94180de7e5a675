/**
 * The init of a pod's sandbox (runc's sandbox container, host's nspawn payload): it only holds
 * the pod's namespaces. busybox picks its applet from argv[0], so it must be called "busybox",
 * not "pause". A shell loop rather than a bare `sleep`: as the pid namespace's init it must reap
 * the orphans apps leave behind (ash's `wait` collects any child), and exit on SIGTERM (a pid 1
 * ignores signals it has no handler for).
 */
export const podInitArgs = (busybox: string): readonly string[] => Object.freeze([
  busybox, 'sh', '-c', `trap "exit 0" TERM INT; while :; do ${busybox} sleep 2147483647 & wait; done`,
]);
