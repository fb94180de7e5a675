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
 *   follow [--input IN_FIFO] [--console-socket SOCKET] [--oom-file FILE] DIR NAME QEMU_PID
 *       copy DIR/NAME.stdout and DIR/NAME.stderr to fds 1 and 2 as the guest
 *       writes them, then exit with the status in DIR/NAME.exit (which the
 *       guest writes once both are complete), or 255 once QEMU is gone. conmon
 *       runs it as a kvm app's container process (libexec/kvm-runtime);
 *       `enter` runs it for an exec'd command.
 *       --input: fd 0 goes to the guest as `input NAME BASE64` requests, its
 *       end as `input-end NAME` (an app with a stdin, ABI 6).
 *       --console-socket: a terminal for the app (conmon's --terminal): a pty
 *       whose master goes to SOCKET (SCM_RIGHTS, as runc sends it) and whose
 *       raw other end is the app's stdio here; its size goes to the guest as
 *       `resize NAME COLUMNS ROWS` once the app runs and on every change.
 *       --oom-file: created when the guest reports DIR/NAME.oom-killed (the OOM
 *       killer ended the app), as conmon creates its `oom` file under runc.
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
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

static int is_regular(const char *path) {
  int fd = open_regular(path);
  if (fd < 0) return 0;
  close(fd);
  return 1;
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

/* ---------------------------------------------------------------- an app's stdin and terminal */

/* Bytes per `input` line: their base64 and the line's other words stay under PIPE_BUF. */
#define INPUT_CHUNK 2048

static volatile sig_atomic_t resized = 0;
static void on_winch(int sig) { (void)sig; resized = 1; }

/* One request line into the agent's FIFO, waiting while the pipe is full (never interleaved: at most PIPE_BUF). */
static void request(int fifo, const char *line, size_t n) {
  for (;;) {
    ssize_t w = write(fifo, line, n);
    if (w == (ssize_t)n) return;
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {.fd = fifo, .events = POLLOUT};
      poll(&p, 1, 100);
      continue;
    }
    return; /* the guest is gone: what is left is dropped */
  }
}

static size_t base64(const unsigned char *in, size_t n, char *out) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = abc[v >> 18 & 63];
    out[o++] = abc[v >> 12 & 63];
    out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? abc[v & 63] : '=';
  }
  return o;
}

/* Copy what `src` has to the guest; false once it has ended (then input-end was sent). */
static int forward_input(int src, int fifo, const char *name) {
  unsigned char buf[INPUT_CHUNK];
  char line[PIPE_BUF];
  ssize_t r = read(src, buf, sizeof buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (r <= 0) {
    int n = snprintf(line, sizeof line, "input-end %s\n", name);
    request(fifo, line, (size_t)n);
    return 0;
  }
  int n = snprintf(line, sizeof line, "input %s ", name);
  n += (int)base64(buf, (size_t)r, line + n);
  line[n++] = '\n';
  request(fifo, line, (size_t)n);
  return 1;
}

static void send_size(int tty, int fifo, const char *name) {
  struct winsize ws;
  if (ioctl(tty, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return;
  char line[PIPE_BUF];
  int n = snprintf(line, sizeof line, "resize %s %u %u\n", name, ws.ws_col, ws.ws_row);
  request(fifo, line, (size_t)n);
}

/* The master of a new pty to conmon's console socket; the raw terminal becomes fds 0-2 and our controlling terminal. */
static void take_terminal(const char *socket_path) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("cannot open a pty");
  const char *pts = ptsname(master);
  int tty = pts == NULL ? -1 : open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) die("cannot open the pty's terminal");
  struct termios t;
  if (tcgetattr(tty, &t) == 0) {
    /* The guest's own terminal already echoes and turns \n into \r\n. */
    cfmakeraw(&t);
    tcsetattr(tty, TCSANOW, &t);
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof addr.sun_path) die("--console-socket: path too long");
  strcpy(addr.sun_path, socket_path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) die("cannot connect to the console socket");
  char data[] = "console";
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data - 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(s, &msg, 0) < 0) die("cannot send the terminal to the console socket");
  close(s);
  close(master);
  /* Our own session, the terminal its controlling one: conmon's resizes arrive as SIGWINCH. */
  setsid();
  ioctl(tty, TIOCSCTTY, 0);
  if (dup2(tty, 0) < 0 || dup2(tty, 1) < 0 || dup2(tty, 2) < 0) die("dup2");
  close(tty);
}

static int cmd_follow(const char *input_fifo, const char *console_socket, const char *oom_file, const char *dir, const char *name, const char *pid_arg) {
  if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0') die("NAME: expected a plain file name");
  struct stream s[2] = {{.in = -1, .out = STDOUT_FILENO}, {.in = -1, .out = STDERR_FILENO}};
  char exit_path[PATH_MAX], oom_path[PATH_MAX];
  if (snprintf(oom_path, PATH_MAX, "%s/%s.oom-killed", dir, name) >= PATH_MAX || snprintf(s[0].path, PATH_MAX, "%s/%s.stdout", dir, name) >= PATH_MAX || snprintf(s[1].path, PATH_MAX, "%s/%s.stderr", dir, name) >= PATH_MAX ||
      snprintf(exit_path, PATH_MAX, "%s/%s.exit", dir, name) >= PATH_MAX) die("DIR: too long");
  /* A reader that went away must not end us: the app's status still counts. */
  signal(SIGPIPE, SIG_IGN);
  int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ino < 0 || inotify_add_watch(ino, dir, IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) die("cannot watch the output share");
  int pidfd = qemu_pidfd(pid_arg);
  if (console_socket != NULL) {
    take_terminal(console_socket);
    struct sigaction sa = {.sa_handler = on_winch};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
  }
  /* Requests never block: a full pipe is waited out in request(). */
  int fifo = input_fifo == NULL ? -1 : open(input_fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (input_fifo != NULL && fifo < 0) die("cannot open the agent's request FIFO");
  int input_open = fifo >= 0;
  int sized = console_socket == NULL;
  for (;;) {
    pump(s, 2);
    int status = read_status(exit_path);
    if (status >= 0) {
      pump(s, 2);
      if (oom_file != NULL && is_regular(oom_path)) {
        int fd = open(oom_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
      }
      return status;
    }
    if (pidfd < 0) return GUEST_GONE;
    /* The app runs once its output file is there: its terminal gets the size ours has by then. */
    if (!sized && s[0].in >= 0) {
      sized = 1;
      resized = 1;
    }
    if (resized && sized && fifo >= 0) {
      resized = 0;
      send_size(0, fifo, name);
    }
    struct pollfd p[3] = {{.fd = ino, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}, {.fd = input_open ? 0 : -1, .events = POLLIN}};
    /* Woken by the share's changes or input; the timeout is only a safety net. */
    if (poll(p, 3, 1000) < 0 && errno != EINTR) die("poll failed");
    if (p[0].revents & POLLIN) {
      char events[4096];
      while (read(ino, events, sizeof events) > 0) {
      }
    }
    if (p[1].revents & POLLIN) {
      close(pidfd);
      pidfd = -1; /* one last look at the files, then GUEST_GONE */
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) input_open = forward_input(0, fifo, name);
  }
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "ready") == 0) return cmd_ready(argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp(argv[1], "wait") == 0) return cmd_wait(argv[2], argv[3]);
  if (argc >= 4 && strcmp(argv[1], "send") == 0) return cmd_send(argv[2], argc - 3, argv + 3);
  if (argc >= 5 && strcmp(argv[1], "follow") == 0) {
    const char *input = NULL, *console = NULL, *oom = NULL;
    int i = 2;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
      if (strcmp(argv[i], "--input") == 0) input = argv[i + 1];
      else if (strcmp(argv[i], "--console-socket") == 0) console = argv[i + 1];
      else if (strcmp(argv[i], "--oom-file") == 0) oom = argv[i + 1];
      else break;
    }
    if (argc - i == 3) return cmd_follow(input, console, oom, argv[i], argv[i + 1], argv[i + 2]);
  }
  fprintf(stderr, "usage: kvm-io ready OUT_FIFO QEMU_PID TIMEOUT_S | send IN_FIFO WORD... | wait QEMU_PID TIMEOUT_S | follow [--input IN_FIFO] [--console-socket SOCKET] [--oom-file FILE] DIR NAME QEMU_PID\n");
  return 2;
}
