/*
 * podstage-exec-app: the last step of every app start and enter inside a
 * stage1-kvm guest, the guest's counterpart of stage1-common's becomeApp
 * (same order, runc's): from inside the app's root, change directory, drop
 * what the app may not keep from the capability bounding set, set
 * no_new_privs, install the seccomp filter, take the app's identity, exec.
 * C, because the guest has no Node; build-guest.ts links it statically into
 * the initramfs. The filter is compiled on the host (@podstage/seccomp) and
 * read from an inherited fd.
 *
 * usage: podstage-exec-app --cwd DIR --uid N --gid N [--groups N,N...] --keep-caps HEX
 *                          [--nnp] [--seccomp-fd FD] [--oom-score-adj N] -- PROG [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MAX_GROUPS 256
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

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int n = 40;
  if (f != NULL) {
    if (fscanf(f, "%d", &n) != 1) n = 40;
    fclose(f);
  }
  return n;
}

static void limit_capabilities(unsigned long long keep) {
  int last = last_cap();
  for (int cap = 0; cap <= last && cap < 64; cap++) {
    if ((keep >> cap) & 1ULL) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) die("dropping a capability from the bounding set", NULL);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) die("clearing the ambient capabilities", NULL);
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

int main(int argc, char **argv) {
  const char *cwd = "/";
  long uid = -1, gid = -1, oom = 0;
  int has_oom = 0, nnp = 0, seccomp_fd = -1, i = 1;
  gid_t groups[MAX_GROUPS];
  size_t ngroups = 0;
  unsigned long long keep = ~0ULL;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *flag = argv[i];
    if (strcmp(flag, "--nnp") == 0) { nnp = 1; continue; }
    if (i + 1 >= argc) usage("a flag is missing its value");
    const char *value = argv[++i];
    if (strcmp(flag, "--cwd") == 0) cwd = value;
    else if (strcmp(flag, "--uid") == 0) uid = number(value, "--uid: expected a number");
    else if (strcmp(flag, "--gid") == 0) gid = number(value, "--gid: expected a number");
    else if (strcmp(flag, "--seccomp-fd") == 0) seccomp_fd = (int)number(value, "--seccomp-fd: expected a number");
    else if (strcmp(flag, "--oom-score-adj") == 0) { oom = number(value, "--oom-score-adj: expected a number"); has_oom = 1; }
    else if (strcmp(flag, "--keep-caps") == 0) keep = strtoull(value, NULL, 16);
    else if (strcmp(flag, "--groups") == 0) {
      char *list = strdup(value);
      for (char *g = strtok(list, ","); g != NULL && ngroups < MAX_GROUPS; g = strtok(NULL, ",")) groups[ngroups++] = (gid_t)number(g, "--groups: expected numbers");
    } else usage("unknown flag");
  }
  if (i + 1 >= argc) usage("no command after --");
  if (uid < 0 || gid < 0) usage("--uid and --gid are required");
  char **command = argv + i + 1;

  if (chdir(cwd) != 0) die("changing to the working directory", cwd);
  if (has_oom) {
    FILE *f = fopen("/proc/self/oom_score_adj", "w");
    if (f == NULL || fprintf(f, "%ld\n", oom) < 0 || fclose(f) != 0) die("setting oom_score_adj", NULL);
  }
  limit_capabilities(keep);
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("setting no_new_privs", NULL);
  /* Without no_new_privs a filter needs CAP_SYS_ADMIN: install it before the identity switch. */
  if (!nnp && seccomp_fd >= 0) install_seccomp(seccomp_fd);
  if (setgroups(ngroups, groups) != 0) die("setting the supplementary groups", NULL);
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) die("setting the group id", NULL);
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) die("setting the user id", NULL);
  if (nnp && seccomp_fd >= 0) install_seccomp(seccomp_fd);
  execvp(command[0], command);
  die("executing", command[0]);
}
