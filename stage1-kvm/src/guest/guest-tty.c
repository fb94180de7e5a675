/*
 * podstage-tty: a terminal for a command inside a stage1-kvm guest (the CRI's
 * `exec -t`), which the guest's busybox cannot make. It opens a pty, runs
 * PROG on it as the controlling terminal of a session of its own, and copies
 * its stdin to the terminal and the terminal to its stdout. The agent gives it
 * the host's stdin (a FIFO) and the output share's file as stdout.
 *
 * The terminal's size is in SIZE_FILE ("COLUMNS ROWS"); the agent rewrites it
 * and sends SIGWINCH, and the new size reaches PROG's foreground process group
 * as a SIGWINCH of its own. Exits with PROG's status (128+n: killed by signal n).
 *
 * usage: podstage-tty SIZE_FILE -- PROG [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t resized = 1, child_exited = 0;

static void on_winch(int sig) { (void)sig; resized = 1; }
static void on_chld(int sig) { (void)sig; child_exited = 1; }

static void die(const char *what) {
  fprintf(stderr, "podstage-tty: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void apply_size(const char *file, int master) {
  FILE *f = fopen(file, "re");
  if (f == NULL) return;
  unsigned cols, rows;
  if (fscanf(f, "%u %u", &cols, &rows) == 2 && cols > 0 && rows > 0 && cols <= 0xffff && rows <= 0xffff) {
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    ioctl(master, TIOCSWINSZ, &ws);
  }
  fclose(f);
}

/* Write all of buf; false once the other end is gone. */
static int write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w <= 0) return 0;
    buf += w;
    n -= w;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: podstage-tty SIZE_FILE -- PROG [ARG...]\n");
    return 125;
  }
  const char *size_file = argv[1];
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("cannot open a pty");
  const char *name = ptsname(master);
  if (name == NULL) die("ptsname");
  apply_size(size_file, master);
  resized = 0;

  struct sigaction sa = { .sa_handler = on_winch };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGWINCH, &sa, NULL);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    signal(SIGWINCH, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    if (setsid() < 0) die("setsid");
    int slave = open(name, O_RDWR);
    if (slave < 0) die("cannot open the pty's terminal");
    if (ioctl(slave, TIOCSCTTY, 0) < 0) die("TIOCSCTTY");
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) die("dup2");
    if (slave > 2) close(slave);
    execvp(argv[3], argv + 3);
    die(argv[3]);
  }

  char buf[64 * 1024];
  int stdin_open = 1;
  for (;;) {
    if (resized) {
      resized = 0;
      apply_size(size_file, master);
    }
    struct pollfd p[2] = { { .fd = master, .events = POLLIN }, { .fd = stdin_open ? 0 : -1, .events = POLLIN } };
    /* Once PROG is gone, only what its terminal still holds is copied. */
    int n = poll(p, 2, child_exited ? 0 : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("poll");
    if (n == 0) break;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r > 0) write_all(1, buf, r);
      else if (r < 0 && errno == EINTR) continue;
      else break; /* EIO: every holder of the terminal closed it */
    }
    if (stdin_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r > 0) write_all(master, buf, r);
      else if (!(r < 0 && errno == EINTR)) stdin_open = 0; /* the terminal stays: it is PROG's output too */
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
