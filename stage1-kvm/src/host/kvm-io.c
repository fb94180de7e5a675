/*
 * kvm-io: the host's end of a kvm pod's guest, in short-lived commands, so
 * that no podstage process stays resident beside QEMU (ABI.md, "Pods under
 * conmon"). The agent's virtio-serial port is a QEMU pipe chardev: requests
 * go into AGENT.in, the agent's one word (`ready`) comes out of AGENT.out.
 * The guest writes app and exec output, and their exit statuses, as flat files
 * into the output share; it controls that directory, so a file is opened
 * without following a symlink and read only if it is a regular file.
 *
 *   ready OUT_FIFO QEMU_PID TIMEOUT_S
 *       wait until the agent says `ready`; fails if QEMU exits or the time
 *       runs out first.
 *   send IN_FIFO WORD...
 *       one request line, never blocking: fails at once if QEMU is gone or
 *       the agent is not reading.
 *   wait QEMU_PID TIMEOUT_S
 *       wait until QEMU has exited; fails if it is still running when the time
 *       runs out (a guest asked to halt that does not).
 *   follow DIR NAME QEMU_PID
 *       copy DIR/NAME.stdout and DIR/NAME.stderr to fds 1 and 2 as the guest
 *       writes them, then exit with the status in DIR/NAME.exit (which the
 *       guest writes once both are complete), or 255 once QEMU is gone. conmon
 *       runs it as a kvm app's container process (libexec/kvm-runtime);
 *       `enter` runs it for an exec'd command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The status of an app or command whose guest went away. */
#define GUEST_GONE 255

static void die(const char *what) {
  fprintf(stderr, "kvm-io: %s\n", what);
  exit(1);
}

static int parse_int(const char *s, long max) {
  char *end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || n < 0 || n > max) return -1;
  return (int)n;
}

/* A pidfd for QEMU: readable once it has exited. */
static int qemu_pidfd(const char *arg) {
  int pid = parse_int(arg, INT_MAX);
  if (pid <= 0) die("QEMU_PID: expected a process id");
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 && errno != ESRCH) die("pidfd_open failed");
  return fd; /* -1: already gone */
}

static int open_regular(const char *path) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return fd;
  close(fd);
  return -1;
}

static void write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the reader went away: what is left is dropped */
    buf += w;
    n -= (size_t)w;
  }
}

static long ms_since(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int cmd_ready(const char *fifo, const char *pid_arg, const char *timeout_arg) {
  int timeout_s = parse_int(timeout_arg, 86400);
  if (timeout_s <= 0) die("TIMEOUT_S: expected a number of seconds");
  /* Non-blocking: opening a FIFO for reading does not wait for QEMU to open it. */
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("cannot open the agent's output FIFO");
  int pidfd = qemu_pidfd(pid_arg);
  if (pidfd < 0) die("QEMU exited while the guest was booting");
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char line[64];
  size_t have = 0;
  for (;;) {
    long left = timeout_s * 1000L - ms_since(&t0);
    if (left <= 0) {
      fprintf(stderr, "kvm-io: the guest's agent did not start within %d s\n", timeout_s);
      return 1;
    }
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    if (poll(p, 2, (int)left) < 0 && errno != EINTR) die("poll failed");
    if (p[0].revents & POLLIN) {
      ssize_t n = read(fd, line + have, sizeof line - 1 - have);
      if (n > 0) {
        have += (size_t)n;
        line[have] = '\0';
        if (strstr(line, "ready\n") != NULL) return 0;
        if (have == sizeof line - 1) have = 0;
      }
    }
    if (p[1].revents & POLLIN) die("QEMU exited while the guest was booting");
    if ((p[0].revents & POLLHUP) && !(p[0].revents & POLLIN)) die("QEMU closed the agent's port while the guest was booting");
  }
}

static int cmd_wait(const char *pid_arg, const char *timeout_arg) {
  int timeout_s = parse_int(timeout_arg, 86400);
  if (timeout_s <= 0) die("TIMEOUT_S: expected a number of seconds");
  int pidfd = qemu_pidfd(pid_arg);
  if (pidfd < 0) return 0;
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  int n;
  do n = poll(&p, 1, timeout_s * 1000);
  while (n < 0 && errno == EINTR);
  return n > 0 ? 0 : 1;
}

static int cmd_send(const char *fifo, int nwords, char **words) {
  char line[PIPE_BUF];
  size_t n = 0;
  for (int i = 0; i < nwords; i++) {
    size_t len = strlen(words[i]);
    if (len == 0 || memchr(words[i], ' ', len) != NULL || memchr(words[i], '\n', len) != NULL) die("a request word is empty or holds a space or a newline");
    if (n + len + 1 >= sizeof line) die("the request is too long");
    memcpy(line + n, words[i], len);
    n += len;
    line[n++] = i + 1 < nwords ? ' ' : '\n';
  }
  /* ENXIO: nobody holds the FIFO for reading, i.e. QEMU is gone. */
  int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die(errno == ENXIO ? "the guest is gone" : "cannot open the agent's request FIFO");
  /* At most PIPE_BUF bytes: written whole or not at all, never interleaved with another request. */
  ssize_t w = write(fd, line, n);
  if (w != (ssize_t)n) die(errno == EAGAIN ? "the guest's agent is not reading its requests" : "cannot write the request");
  return 0;
}

struct stream {
  char path[PATH_MAX];
  int in;
  int out;
};

/* Copy whatever the guest has added to each stream since the last call. */
static void pump(struct stream *s, int n) {
  static char buf[256 * 1024];
  for (int i = 0; i < n; i++) {
    if (s[i].in < 0) s[i].in = open_regular(s[i].path);
    if (s[i].in < 0) continue;
    for (;;) {
      ssize_t r = read(s[i].in, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      write_all(s[i].out, buf, (size_t)r);
    }
  }
}

/* The status the guest wrote (a number 0..255), or -1 while there is none. */
static int read_status(const char *path) {
  int fd = open_regular(path);
  if (fd < 0) return -1;
  char buf[16];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  int status = parse_int(buf, 255);
  return status < 0 ? GUEST_GONE : status;
}

static int cmd_follow(const char *dir, const char *name, const char *pid_arg) {
  if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0') die("NAME: expected a plain file name");
  struct stream s[2] = {{.in = -1, .out = STDOUT_FILENO}, {.in = -1, .out = STDERR_FILENO}};
  char exit_path[PATH_MAX];
  if (snprintf(s[0].path, PATH_MAX, "%s/%s.stdout", dir, name) >= PATH_MAX || snprintf(s[1].path, PATH_MAX, "%s/%s.stderr", dir, name) >= PATH_MAX ||
      snprintf(exit_path, PATH_MAX, "%s/%s.exit", dir, name) >= PATH_MAX) die("DIR: too long");
  /* A reader that went away must not end us: the app's status still counts. */
  signal(SIGPIPE, SIG_IGN);
  int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ino < 0 || inotify_add_watch(ino, dir, IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) die("cannot watch the output share");
  int pidfd = qemu_pidfd(pid_arg);
  for (;;) {
    pump(s, 2);
    int status = read_status(exit_path);
    if (status >= 0) {
      pump(s, 2);
      return status;
    }
    if (pidfd < 0) return GUEST_GONE;
    struct pollfd p[2] = {{.fd = ino, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    /* Woken by the share's changes; the timeout is only a safety net. */
    if (poll(p, 2, 1000) < 0 && errno != EINTR) die("poll failed");
    if (p[0].revents & POLLIN) {
      char events[4096];
      while (read(ino, events, sizeof events) > 0) {
      }
    }
    if (p[1].revents & POLLIN) {
      close(pidfd);
      pidfd = -1; /* one last look at the files, then GUEST_GONE */
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "ready") == 0) return cmd_ready(argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp(argv[1], "wait") == 0) return cmd_wait(argv[2], argv[3]);
  if (argc >= 4 && strcmp(argv[1], "send") == 0) return cmd_send(argv[2], argc - 3, argv + 3);
  if (argc == 5 && strcmp(argv[1], "follow") == 0) return cmd_follow(argv[2], argv[3], argv[4]);
  fprintf(stderr, "usage: kvm-io ready OUT_FIFO QEMU_PID TIMEOUT_S | send IN_FIFO WORD... | wait QEMU_PID TIMEOUT_S | follow DIR NAME QEMU_PID\n");
  return 2;
}
