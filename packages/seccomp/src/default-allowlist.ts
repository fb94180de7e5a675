/**
 * The default seccomp profile, in the spirit of Docker's/containerd's: the
 * ordinary system calls are allowed, the ones that reach past the container
 * (kernel, clock, mounts, namespaces, keyrings, tracing) are not. Every x86_64
 * syscall in the table is named exactly once, allowed or denied (a test holds
 * us to it), so regenerating the table forces a decision on each new one.
 *
 * Unlike Docker the profile is static: it does not widen with the app's
 * capabilities (Docker allows e.g. mount to apps holding CAP_SYS_ADMIN). An
 * app that needs a denied call uses a retain-set or --insecure-options=seccomp.
 */

/** Allowed by default. */
export const DEFAULT_ALLOWLIST: readonly string[] = Object.freeze([
  // files, directories, descriptors
  'read', 'write', 'open', 'openat', 'openat2', 'close', 'close_range', 'creat', 'lseek',
  'pread64', 'pwrite64', 'readv', 'writev', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
  'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs',
  'access', 'faccessat', 'faccessat2', 'dup', 'dup2', 'dup3', 'fcntl', 'flock', 'ioctl',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'truncate', 'ftruncate', 'fallocate', 'fadvise64', 'readahead',
  'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir', 'chroot',
  'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'rmdir', 'link', 'linkat', 'unlink', 'unlinkat',
  'symlink', 'symlinkat', 'readlink', 'readlinkat', 'mknod', 'mknodat',
  'chmod', 'fchmod', 'fchmodat', 'chown', 'fchown', 'lchown', 'fchownat', 'umask',
  'utime', 'utimes', 'utimensat', 'futimesat',
  'setxattr', 'lsetxattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'fgetxattr',
  'listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr',
  'name_to_handle_at', // harmless alone; its partner open_by_handle_at is the escape (denied)
  'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'pipe', 'pipe2', 'memfd_create', 'memfd_secret',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  // polling, events, timers
  'poll', 'ppoll', 'select', 'pselect6',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'epoll_ctl_old', 'epoll_wait_old',
  'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_settime', 'timerfd_gettime',
  'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete',
  'getitimer', 'setitimer', 'alarm', 'pause', 'nanosleep', 'clock_nanosleep',
  'clock_gettime', 'clock_getres', 'gettimeofday', 'time', 'times',
  'io_setup', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_submit', 'io_cancel',
  // memory
  'brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'msync', 'mincore', 'madvise', 'remap_file_pages',
  'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'membarrier',
  'pkey_mprotect', 'pkey_alloc', 'pkey_free',
  'mbind', 'set_mempolicy', 'get_mempolicy', 'set_mempolicy_home_node', // own policy only; moving others' pages is denied
  // processes, threads, signals
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid',
  'kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease',
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigtimedwait',
  'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'rt_sigsuspend', 'sigaltstack', 'restart_syscall',
  'futex', 'futex_waitv', 'set_robust_list', 'get_robust_list', 'set_tid_address', 'rseq',
  'arch_prctl', 'set_thread_area', 'get_thread_area', 'modify_ldt', 'prctl', 'personality', 'seccomp',
  'ptrace', 'process_vm_readv', 'process_vm_writev',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'sched_yield', 'sched_setparam', 'sched_getparam', 'sched_setscheduler', 'sched_getscheduler',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval',
  'sched_setaffinity', 'sched_getaffinity', 'sched_setattr', 'sched_getattr',
  'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getcpu',
  'getrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'sysinfo', 'uname', 'getrandom',
  // identity
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'setgroups',
  'capget', 'capset',
  'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  // sockets
  'socket', 'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'shutdown',
  'getsockname', 'getpeername', 'getsockopt', 'setsockopt',
  'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg',
  // System V and POSIX IPC (namespaced per pod)
  'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl',
  'msgget', 'msgsnd', 'msgrcv', 'msgctl',
  'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr',
]);

/** Denied by default, grouped by why. */
export const DEFAULT_DENIED: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'kernel code and state': [
    'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
    'create_module', 'query_module', 'get_kernel_syms', 'bpf', 'perf_event_open', 'lookup_dcookie',
    'syslog', 'acct', 'reboot', 'swapon', 'swapoff', 'iopl', 'ioperm', 'userfaultfd',
    'io_uring_setup', 'io_uring_enter', 'io_uring_register', // a steady source of kernel bugs; Docker dropped them too
  ],
  'the host clock': ['settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex'],
  'mounts and namespaces': [
    'mount', 'umount2', 'pivot_root', 'mount_setattr', 'open_tree', 'move_mount',
    'fsopen', 'fsconfig', 'fsmount', 'fspick', 'setns', 'unshare', 'sethostname', 'setdomainname',
  ],
  'kernel keyrings (not namespaced)': ['keyctl', 'add_key', 'request_key'],
  'escaping through file handles': ['open_by_handle_at'],
  'other processes\' memory and files': ['kcmp', 'pidfd_getfd', 'process_madvise', 'migrate_pages', 'move_pages'],
  'quotas, tty and fanotify administration': ['quotactl', 'quotactl_fd', 'vhangup', 'fanotify_init'],
  'obsolete or never implemented': [
    'uselib', 'ustat', 'sysfs', '_sysctl', 'nfsservctl', 'getpmsg', 'putpmsg',
    'afs_syscall', 'tuxcall', 'security', 'vserver',
  ],
});

/**
 * Allowed under every retain-set, like systemd's SystemCallFilter= does: what
 * it takes to exec the app and for it to exit or be interrupted, plus fcntl,
 * which Node's process.execve calls (clearing FD_CLOEXEC on stdio) after the
 * filter is in place. A retain-set must name everything else the app's own
 * startup needs (the dynamic loader's mmap, brk, arch_prctl, …).
 */
export const EXEC_MINIMUM: readonly string[] = Object.freeze([
  'execve', 'exit', 'exit_group', 'rt_sigreturn', 'restart_syscall', 'fcntl',
  // Without no-new-privileges the filter goes in before the app's identity (it
  // still needs CAP_SYS_ADMIN), as runc does: switching identity must stay possible.
  'setgroups', 'setresgid', 'setresuid',
  // Node's process.execve (the stage1s' last step) takes locks on its way out.
  'futex',
  'getrlimit', 'clock_gettime', 'clock_getres', 'gettimeofday', 'time', 'nanosleep', 'clock_nanosleep',
]);
