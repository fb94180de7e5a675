/*
 * podstage-exec-app: every app start and enter inside a stage1-kvm guest goes
 * through here; the guest's counterpart of runc's init and of stage1-common's
 * becomeApp. C, because the guest has no Node; build-guest.ts links it
 * statically into the initramfs. The seccomp filter is compiled on the host
 * (@podstage/seccomp) and read from an inherited fd.
 *
 *   start     an app: its own mount namespace, and its own pid namespace (or
 *             the pod's, --join-pid-ns); its mounts are made inside its root
 *             with every path resolved in that root (an image's symlinks
 *             cannot point a mount at the guest), then pivot_root into it, so
 *             nothing of the guest or of other apps stays reachable. The first
 *             process stays outside, writes the app's pid (--pid-file) once
 *             the app runs and exits with the app's status.
 *   enter     a command in a running app (--pid: the app's pid in the guest):
 *             it joins the app's pid and mount namespaces; the caller has
 *             joined the app's cgroup.
 *   pod-init  the pod's shared pid namespace: its pid 1, in an empty root
 *             with no capabilities, reaping what is orphaned in it.
 *
 * Then, as runc and becomeApp (same order): change directory, drop what the
 * app may not keep from the capability bounding set, set no_new_privs,
 * install the seccomp filter, take the app's identity, exec.
 *
 * usage: podstage-exec-app start --root DIR --pid-file FILE [--join-pid-ns NSFILE]
 *            [--mount TYPE SOURCE TARGET FLAGS DATA]... [--mknod PATH MAJOR MINOR]...
 *            [--symlink VALUE PATH]... [--mask PATH]... [--readonly PATH]... [--readonly-root]
 *            [--device-cgroup DIR [--allow-device RULE]...] APP -- PROG [ARG...]
 *        podstage-exec-app enter --pid PID APP -- PROG [ARG...]
 *        podstage-exec-app pod-init --root DIR --pid-file FILE
 * APP:   --cwd DIR --uid N --gid N [--groups N,N...] --keep-caps HEX [--nnp]
 *        [--seccomp-fd FD] [--oom-score-adj N]
 * --mount: TYPE `bind` binds SOURCE (a guest path); FLAGS is a comma list of
 * ro, nosuid, nodev, noexec, strictatime, rec, optional (a failure is ignored).
 * --mask and --readonly: runc's masked and read-only paths (inside the root, once
 * it is the app's), skipped where the kernel has no such file.
 * --device-cgroup: the app's cgroup (v2) gets a device filter allowing only the
 * --allow-device rules, `TYPE MAJOR:MINOR ACCESS` as cgroup v1 writes them
 * (`c 1:3 rwm`, `c *:* m`): runc's devicefilter, a BPF_PROG_TYPE_CGROUP_DEVICE program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_GROUPS 256
#define MAX_STEPS 512
#define MAX_FILTER_BYTES (4096 * sizeof(struct sock_filter))

static void die(const char *what, const char *detail) {
  fprintf(stderr, "podstage-exec-app: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "", strerror(errno));
  exit(127);
}

static void usage(const char *why) {
  fprintf(stderr, "podstage-exec-app: %s\n", why);
  exit(127);
}

static long number(const char *s, const char *flag) {
  char *end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || end == s) usage(flag);
  return n;
}

/* ------------------------------------------------------------ options */

/* What becoming the app takes (start and enter). */
struct app {
  const char *cwd;
  long uid, gid, oom;
  int has_oom, nnp, seccomp_fd;
  /* enter: the command dies with its waiting parent (outside its pid namespace), whom the agent signals. */
  int die_with_parent;
  gid_t groups[MAX_GROUPS];
  size_t ngroups;
  unsigned long long keep;
};

/* One step of an app's root, in order: a mount, a device node or a symlink. */
enum step_kind { STEP_MOUNT, STEP_MKNOD, STEP_SYMLINK };
struct step {
  enum step_kind kind;
  char **arg;
};

struct start {
  const char *root, *pid_file, *join_pidns;
  struct step steps[MAX_STEPS];
  size_t nsteps;
  const char *masked[MAX_STEPS], *readonly[MAX_STEPS], *devices[MAX_STEPS];
  size_t nmasked, nreadonly, ndevices;
  const char *device_cgroup;
  int readonly_root;
  long pid;
};

static int step_arity(const char *flag, enum step_kind *kind) {
  if (strcmp(flag, "--mount") == 0) return *kind = STEP_MOUNT, 5;
  if (strcmp(flag, "--mknod") == 0) return *kind = STEP_MKNOD, 3;
  if (strcmp(flag, "--symlink") == 0) return *kind = STEP_SYMLINK, 2;
  return 0;
}

/* Parses argv from i; returns the command after `--` (NULL when there is none). */
static char **parse(int argc, char **argv, int i, struct app *a, struct start *s) {
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *flag = argv[i];
    enum step_kind kind;
    int arity = step_arity(flag, &kind);
    if (strcmp(flag, "--nnp") == 0) { a->nnp = 1; continue; }
    if (strcmp(flag, "--readonly-root") == 0) { s->readonly_root = 1; continue; }
    if (arity > 0) {
      if (i + arity >= argc) usage("--mount, --mknod or --symlink is missing values");
      if (s->nsteps == MAX_STEPS) usage("too many mounts");
      s->steps[s->nsteps++] = (struct step){ kind, argv + i + 1 };
      i += arity;
      continue;
    }
    if (i + 1 >= argc) usage("a flag is missing its value");
    const char *value = argv[++i];
    if (strcmp(flag, "--cwd") == 0) a->cwd = value;
    else if (strcmp(flag, "--uid") == 0) a->uid = number(value, "--uid: expected a number");
    else if (strcmp(flag, "--gid") == 0) a->gid = number(value, "--gid: expected a number");
    else if (strcmp(flag, "--seccomp-fd") == 0) a->seccomp_fd = (int)number(value, "--seccomp-fd: expected a number");
    else if (strcmp(flag, "--oom-score-adj") == 0) { a->oom = number(value, "--oom-score-adj: expected a number"); a->has_oom = 1; }
    else if (strcmp(flag, "--keep-caps") == 0) a->keep = strtoull(value, NULL, 16);
    else if (strcmp(flag, "--groups") == 0) {
      char *list = strdup(value);
      for (char *g = strtok(list, ","); g != NULL && a->ngroups < MAX_GROUPS; g = strtok(NULL, ",")) a->groups[a->ngroups++] = (gid_t)number(g, "--groups: expected numbers");
    }
    else if (strcmp(flag, "--root") == 0) s->root = value;
    else if (strcmp(flag, "--pid-file") == 0) s->pid_file = value;
    else if (strcmp(flag, "--join-pid-ns") == 0) s->join_pidns = value;
    else if (strcmp(flag, "--pid") == 0) s->pid = number(value, "--pid: expected a process id");
    else if (strcmp(flag, "--mask") == 0 && s->nmasked < MAX_STEPS) s->masked[s->nmasked++] = value;
    else if (strcmp(flag, "--readonly") == 0 && s->nreadonly < MAX_STEPS) s->readonly[s->nreadonly++] = value;
    else if (strcmp(flag, "--device-cgroup") == 0) s->device_cgroup = value;
    else if (strcmp(flag, "--allow-device") == 0 && s->ndevices < MAX_STEPS) s->devices[s->ndevices++] = value;
    else usage("unknown flag");
  }
  return i + 1 < argc ? argv + i + 1 : NULL;
}

/* ------------------------------------------------------------ becoming the app */

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int n = 40;
  if (f != NULL) {
    if (fscanf(f, "%d", &n) != 1) n = 40;
    fclose(f);
  }
  return n;
}

/*
 * Permitted and effective limited to KEEP, inheritable emptied (moby's model
 * after CVE-2022-24769). With inheritable and ambient empty, exec gives a
 * root app, or a setuid-root binary run by any app, its bounding set and
 * nothing more, and a non-root app nothing (setresuid has emptied its
 * permitted set), whatever the guest's agent itself was started with.
 */
static void limit_held_capabilities(unsigned long long keep) {
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &header, data) != 0) die("reading the capability sets", NULL);
  for (int i = 0; i < 2; i++) {
    __u32 mask = (__u32)(keep >> (32 * i));
    data[i].permitted &= mask;
    data[i].effective &= mask;
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &header, data) != 0) die("setting the capability sets", NULL);
}

static void limit_capabilities(unsigned long long keep) {
  int last = last_cap();
  for (int cap = 0; cap <= last && cap < 64; cap++) {
    if ((keep >> cap) & 1ULL) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) die("dropping a capability from the bounding set", NULL);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) die("clearing the ambient capabilities", NULL);
  /* Permitted stays whole until the identity switch, which needs CAP_SETUID and CAP_SETGID. */
  limit_held_capabilities(~0ULL);
}

static void install_seccomp(int fd) {
  static unsigned char program[MAX_FILTER_BYTES];
  size_t len = 0;
  ssize_t n;
  while ((n = read(fd, program + len, sizeof program - len)) > 0) len += (size_t)n;
  if (n < 0) die("reading the seccomp filter", NULL);
  close(fd);
  if (len == 0 || len % sizeof(struct sock_filter) != 0) usage("the seccomp filter is not a whole number of sock_filter structs");
  struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)program };
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) die("installing the seccomp filter", NULL);
}

static void become_app(const struct app *a, char **command) {
  if (chdir(a->cwd) != 0) die("changing to the working directory", a->cwd);
  if (a->has_oom) {
    FILE *f = fopen("/proc/self/oom_score_adj", "w");
    if (f == NULL || fprintf(f, "%ld\n", a->oom) < 0 || fclose(f) != 0) die("setting oom_score_adj", NULL);
  }
  limit_capabilities(a->keep);
  if (a->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("setting no_new_privs", NULL);
  /* Without no_new_privs a filter needs CAP_SYS_ADMIN: install it before the identity switch. */
  if (!a->nnp && a->seccomp_fd >= 0) install_seccomp(a->seccomp_fd);
  if (setgroups(a->ngroups, a->groups) != 0) die("setting the supplementary groups", NULL);
  if (setresgid((gid_t)a->gid, (gid_t)a->gid, (gid_t)a->gid) != 0) die("setting the group id", NULL);
  if (setresuid((uid_t)a->uid, (uid_t)a->uid, (uid_t)a->uid) != 0) die("setting the user id", NULL);
  /*
   * After the identity switch, which clears it (a seccomp filter already installed may refuse it:
   * the command then only outlives its parent). A parent outside our pid namespace is pid 0 here.
   */
  if (a->die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != 0) _exit(137);
  }
  if (a->nnp && a->seccomp_fd >= 0) install_seccomp(a->seccomp_fd);
  execvp(command[0], command);
  die("executing", command[0]);
}

/* ------------------------------------------------------------ the app's root */

/* PATH inside ROOT as an O_PATH fd: symlinks and `..` resolve inside ROOT, as they will for the app. */
static int resolve(int root, const char *path) {
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  while (*path == '/') path++;
  return (int)syscall(SYS_openat2, root, *path == '\0' ? "." : path, &how, sizeof how);
}

static int open_in_root_at_depth(int root, const char *path, char last, int depth);

/*
 * Creates the last component of PATH (inside ROOT) as a directory ('d') or an
 * empty file ('f'); where the image has a dangling symlink there, what it
 * points to is created instead (inside ROOT, as runc's securejoin does).
 */
static void create_in_root(int root, char *path, char kind, int depth) {
  char *slash = strrchr(path, '/');
  int parent = root;
  const char *name = path;
  if (slash != NULL) {
    *slash = '\0';
    parent = resolve(root, path);
    *slash = '/';
    name = slash + 1;
    if (parent < 0) return;
  }
  int fd = kind == 'd' ? mkdirat(parent, name, 0755) : openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST) die(kind == 'd' ? "creating the directory" : "creating the file", path);
  if (fd > 0) close(fd);
  char link[PATH_MAX], target[2 * PATH_MAX];
  ssize_t n = fd < 0 ? readlinkat(parent, name, link, sizeof link - 1) : -1;
  if (n > 0) {
    link[n] = '\0';
    /* A relative link is relative to its directory. */
    if (link[0] == '/' || slash == NULL) snprintf(target, sizeof target, "%s", link);
    else snprintf(target, sizeof target, "%.*s/%s", (int)(slash - path), path, link);
    int made = open_in_root_at_depth(root, target, kind, depth + 1);
    if (made >= 0) close(made);
  }
  if (parent != root) close(parent);
}

/* PATH inside ROOT, created as needed (missing parents as directories, the last as LAST: 'd' or 'f'). */
static int open_in_root_at_depth(int root, const char *path, char last, int depth) {
  char buf[PATH_MAX];
  while (*path == '/') path++;
  if (strlen(path) >= sizeof buf) usage("a path is too long");
  if (depth > 40) return errno = ELOOP, -1;
  strcpy(buf, path);
  int fd = resolve(root, buf);
  if (fd >= 0 || errno != ENOENT) return fd;
  for (char *end = buf; end != NULL;) {
    end = strchr(end + 1, '/');
    if (end != NULL) *end = '\0';
    fd = resolve(root, buf);
    if (fd < 0 && errno == ENOENT) {
      create_in_root(root, buf, end == NULL ? last : 'd', depth);
      fd = resolve(root, buf);
    }
    if (fd < 0) return -1;
    if (end != NULL) {
      *end = '/';
      close(fd);
    }
  }
  return fd;
}

static int open_in_root(int root, const char *path, char last) {
  return open_in_root_at_depth(root, path, last, 0);
}

static const char *fd_path(int fd) {
  static char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return path;
}

static unsigned long mount_flags(const char *list, int *rec, int *optional) {
  static const struct { const char *name; unsigned long flag; } known[] = {
    { "ro", MS_RDONLY }, { "nosuid", MS_NOSUID }, { "nodev", MS_NODEV }, { "noexec", MS_NOEXEC }, { "strictatime", MS_STRICTATIME },
  };
  unsigned long flags = 0;
  char *copy = strdup(list);
  *rec = *optional = 0;
  for (char *f = strtok(copy, ","); f != NULL; f = strtok(NULL, ",")) {
    size_t i = 0;
    while (i < sizeof known / sizeof known[0] && strcmp(known[i].name, f) != 0) i++;
    if (i < sizeof known / sizeof known[0]) flags |= known[i].flag;
    else if (strcmp(f, "rec") == 0) *rec = 1;
    else if (strcmp(f, "optional") == 0) *optional = 1;
    else usage("--mount: unknown flag");
  }
  free(copy);
  return flags;
}

static int is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --mount TYPE SOURCE TARGET FLAGS DATA; a bind's flags take a remount of the new mount. */
static void mount_step(int root, char **arg) {
  const char *type = arg[0], *source = arg[1], *target = arg[2], *data = arg[4];
  int rec, optional;
  unsigned long flags = mount_flags(arg[3], &rec, &optional);
  int bind = strcmp(type, "bind") == 0;
  int fd = open_in_root(root, target, bind && !is_directory(source) ? 'f' : 'd');
  if (fd < 0) die("resolving the mount point", target);
  int r = bind ? mount(source, fd_path(fd), NULL, MS_BIND | (rec ? MS_REC : 0), NULL)
               : mount(source, fd_path(fd), type, flags, *data == '\0' ? NULL : data);
  close(fd);
  if (r == 0 && bind && flags != 0) {
    /* The fd is the directory under the new mount: resolve again to reach the mount itself. */
    fd = resolve(root, target);
    r = fd < 0 ? -1 : mount(NULL, fd_path(fd), NULL, MS_REMOUNT | MS_BIND | flags, NULL);
    if (fd >= 0) close(fd);
  }
  if (r != 0 && !optional) die("mounting", target);
}

/* The parent directory of PATH inside ROOT, and PATH's last component in *name. */
static int parent_in_root(int root, const char *path, const char **name) {
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX];
  if (slash == NULL || (size_t)(slash - path) >= sizeof dir) usage("--mknod and --symlink take absolute paths");
  memcpy(dir, path, (size_t)(slash - path));
  dir[slash - path] = '\0';
  *name = slash + 1;
  int fd = open_in_root(root, dir, 'd');
  if (fd < 0) die("resolving the directory of", path);
  return fd;
}

static void node_step(int root, enum step_kind kind, char **arg) {
  const char *name;
  int dir = parent_in_root(root, kind == STEP_MKNOD ? arg[0] : arg[1], &name);
  if (kind == STEP_MKNOD) {
    dev_t dev = makedev((unsigned)number(arg[1], "--mknod: expected a major number"), (unsigned)number(arg[2], "--mknod: expected a minor number"));
    if (mknodat(dir, name, S_IFCHR | 0666, dev) != 0) die("creating the device node", arg[0]);
  } else if (symlinkat(arg[0], dir, name) != 0) die("creating the symlink", arg[1]);
  close(dir);
}

/*
 * Make ROOT the only file system this mount namespace can reach (runc's
 * pivot_root): the guest's own root is detached, so neither `..` nor a
 * chroot escape leads out of the app's root.
 */
static void pivot_into(int root) {
  int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old < 0 || fchdir(root) != 0) die("entering the app's root", NULL);
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root into the app's root", NULL);
  if (fchdir(old) != 0 || umount2(".", MNT_DETACH) != 0) die("detaching the guest's root", NULL);
  if (chdir("/") != 0) die("changing to the app's root", NULL);
  close(old);
}

/* runc's maskedPaths: a directory gets an empty read-only tmpfs over it, anything else /dev/null. */
static void mask_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) return;
    die("masking", path);
  }
  int r = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                              : mount("/dev/null", path, NULL, MS_BIND, NULL);
  if (r != 0) die("masking", path);
}

/* runc's readonlyPaths: bound onto itself, then remounted read-only with the flags it had. */
static void readonly_path(const char *path) {
  struct statvfs sv;
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) {
    if (errno == ENOENT) return;
    die("binding", path);
  }
  unsigned long keep = 0;
  if (statvfs(path, &sv) == 0) {
    if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
  }
  if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) != 0) die("making read-only", path);
}

/* In the app's new mount namespace: its root, its mounts, then pivot_root into it. */
static void set_up_root(const struct start *s) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("making the app's mounts private", NULL);
  if (mount(s->root, s->root, NULL, MS_BIND | MS_REC, NULL) != 0) die("binding the app's root", s->root);
  int root = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) die("opening the app's root", s->root);
  mode_t umask_before = umask(0);
  for (size_t i = 0; i < s->nsteps; i++) {
    if (s->steps[i].kind == STEP_MOUNT) mount_step(root, s->steps[i].arg);
    else node_step(root, s->steps[i].kind, s->steps[i].arg);
  }
  umask(umask_before);
  pivot_into(root);
  close(root);
  for (size_t i = 0; i < s->nmasked; i++) mask_path(s->masked[i]);
  for (size_t i = 0; i < s->nreadonly; i++) readonly_path(s->readonly[i]);
  if (s->readonly_root && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) die("making the root read-only", NULL);
}

/* ------------------------------------------------------------ devices */

#define MAX_INSNS (8 + MAX_STEPS * 8)
static struct bpf_insn insns[MAX_INSNS];
static int ninsns;

static void emit(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  if (ninsns == MAX_INSNS) usage("too many device rules");
  insns[ninsns++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* A jump to the end of the current rule: its offset is patched when the rule is complete. */
static void emit_skip(__u8 code, __u8 dst, __u8 src, __s32 imm, int *skips, int *nskips) {
  skips[(*nskips)++] = ninsns;
  emit(code, dst, src, 0, imm);
}

static long device_number(const char *s, const char *what) {
  return strcmp(s, "*") == 0 ? -1 : number(s, what);
}

/*
 * One allow rule (runc's devicefilter): r2 = device type, r3 = requested
 * access, r4 = major, r5 = minor; each condition that fails jumps past the
 * rule, and a rule that matches returns 1 (allow).
 */
static void emit_rule(const char *rule) {
  char type, numbers[64], access[8];
  if (sscanf(rule, "%c %63s %7s", &type, numbers, access) != 3 || strchr("abc", type) == NULL) usage("--allow-device: expected TYPE MAJOR:MINOR ACCESS");
  char *colon = strchr(numbers, ':');
  if (colon == NULL) usage("--allow-device: expected MAJOR:MINOR");
  *colon = '\0';
  long major = device_number(numbers, "--allow-device: expected a major number or *");
  long minor = device_number(colon + 1, "--allow-device: expected a minor number or *");
  __s32 mask = 0;
  for (const char *a = access; *a != '\0'; a++) {
    mask |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : -1;
  }
  if (mask < 0 || mask == 0) usage("--allow-device: expected an access of r, w and m");
  int skips[4], nskips = 0;
  if (type != 'a') emit_skip(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, skips, &nskips);
  if (mask != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
    /* Allowed only if every requested access is in the rule's. */
    emit(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
    emit(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, mask);
    emit_skip(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, skips, &nskips);
  }
  if (major >= 0) emit_skip(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, (__s32)major, skips, &nskips);
  if (minor >= 0) emit_skip(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, (__s32)minor, skips, &nskips);
  emit(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (int i = 0; i < nskips; i++) insns[skips[i]].off = (__s16)(ninsns - skips[i] - 1);
}

static long bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

/* Everything not allowed by a rule is denied, opening and mknod alike (EPERM), in the cgroup and below it. */
static void allow_only_devices(const char *cgroup, const char *const *rules, size_t nrules) {
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
  emit(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
  emit(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
  emit(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
  for (size_t i = 0; i < nrules; i++) emit_rule(rules[i]);
  emit(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

  static char log[65536];
  union bpf_attr load = { 0 };
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (__u64)(unsigned long)insns;
  load.insn_cnt = (__u32)ninsns;
  load.license = (__u64)(unsigned long)"Apache";
  load.log_buf = (__u64)(unsigned long)log;
  load.log_size = sizeof log;
  load.log_level = 1;
  int prog = (int)bpf(BPF_PROG_LOAD, &load);
  if (prog < 0) {
    fprintf(stderr, "%s", log);
    die("loading the device filter (a guest kernel needs CONFIG_BPF_SYSCALL and CONFIG_CGROUP_BPF)", NULL);
  }
  int dir = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die("opening the app's cgroup", cgroup);
  union bpf_attr attach = { 0 };
  attach.target_fd = (__u32)dir;
  attach.attach_bpf_fd = (__u32)prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_ATTACH, &attach) != 0) die("attaching the device filter to", cgroup);
  close(dir);
  close(prog);
}

/* ------------------------------------------------------------ processes */

static void write_pid_file(const char *file, pid_t pid) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  FILE *f = fopen(tmp, "w");
  if (f == NULL || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0 || rename(tmp, file) != 0) die("writing the pid file", file);
}

/*
 * Fork into the namespaces set up for children (a pid namespace takes effect
 * only for them). The child gets 0 and holds READY_FD, which closes when it
 * execs (or when it closes it: pod-init); the parent gets the child's pid once
 * that has happened.
 */
static int ready_fd = -1;

static pid_t fork_when_ready(void) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) die("creating a pipe", NULL);
  pid_t pid = fork();
  if (pid < 0) die("forking", NULL);
  if (pid == 0) {
    close(ready[0]);
    ready_fd = ready[1];
    return 0;
  }
  close(ready[1]);
  char c;
  while (read(ready[0], &c, 1) < 0 && errno == EINTR) {}
  close(ready[0]);
  return pid;
}

/* Exit with the child's status as a shell reports it (128+n: killed by signal n). */
static void exit_with(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) die("waiting for the app", NULL);
  }
  exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void join_namespace(long pid, const char *ns, int type) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, ns);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, type) != 0) die("joining the app's namespace", path);
  close(fd);
}

static void start_app(struct start *s, struct app *a, char **command) {
  if (s->root == NULL || s->pid_file == NULL) usage("start: --root and --pid-file are required");
  /* This process is already in the app's cgroup: the filter holds from the app's first step. */
  if (s->device_cgroup != NULL) allow_only_devices(s->device_cgroup, s->devices, s->ndevices);
  if (s->join_pidns != NULL) {
    int fd = open(s->join_pidns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWPID) != 0) die("joining the pod's pid namespace", s->join_pidns);
    close(fd);
  }
  else if (unshare(CLONE_NEWPID) != 0) die("creating the app's pid namespace", NULL);
  pid_t pid = fork_when_ready();
  if (pid > 0) {
    write_pid_file(s->pid_file, pid);
    exit_with(pid);
  }
  /* Only the child: pivot_root moves every process whose root was the old one. */
  if (unshare(CLONE_NEWNS) != 0) die("creating the app's mount namespace", NULL);
  set_up_root(s);
  become_app(a, command);
}

static void enter_app(const struct start *s, struct app *a, char **command) {
  if (s->pid <= 0) usage("enter: --pid is required");
  join_namespace(s->pid, "pid", CLONE_NEWPID);
  pid_t pid = fork_when_ready();
  if (pid > 0) exit_with(pid);
  a->die_with_parent = 1;
  /* Joining the mount namespace also moves us to its root: the app's. */
  join_namespace(s->pid, "mnt", CLONE_NEWNS);
  become_app(a, command);
}

static void on_child(int sig) { (void)sig; }

/* pid 1 of the pod's shared pid namespace: an empty read-only root, no capabilities, reaping orphans until the guest halts. */
static void pod_init(const struct start *s) {
  if (s->root == NULL || s->pid_file == NULL) usage("pod-init: --root and --pid-file are required");
  if (unshare(CLONE_NEWPID) != 0) die("creating the pod's pid namespace", NULL);
  pid_t pid = fork_when_ready();
  if (pid > 0) {
    write_pid_file(s->pid_file, pid);
    exit(0);
  }
  if (unshare(CLONE_NEWNS) != 0) die("creating a mount namespace", NULL);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("making the mounts private", NULL);
  if (mount("podstage-pod", s->root, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0) die("mounting an empty root on", s->root);
  int root = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) die("opening", s->root);
  pivot_into(root);
  close(root);
  limit_capabilities(0);
  limit_held_capabilities(0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die("locking down the pod's init", NULL);
  close(ready_fd);
  sigset_t chld, none_blocked;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigemptyset(&none_blocked);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  signal(SIGCHLD, on_child);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    sigsuspend(&none_blocked);
  }
}

int main(int argc, char **argv) {
  static struct start s = { 0 };
  struct app a = { .cwd = "/", .uid = -1, .gid = -1, .seccomp_fd = -1, .keep = ~0ULL };
  if (argc < 2) usage("expected start, enter or pod-init");
  const char *mode = argv[1];
  char **command = parse(argc, argv, 2, &a, &s);
  if (strcmp(mode, "pod-init") == 0) pod_init(&s);
  if (command == NULL) usage("no command after --");
  if (a.uid < 0 || a.gid < 0) usage("--uid and --gid are required");
  if (strcmp(mode, "start") == 0) start_app(&s, &a, command);
  else if (strcmp(mode, "enter") == 0) enter_app(&s, &a, command);
  usage("expected start, enter or pod-init");
}
