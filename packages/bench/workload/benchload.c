/*
 * benchload: the bench's workload, the same static program inside every pod
 * and on the host.
 *
 *   benchload ready FILE
 *       create FILE (the pod is ready), then wait for SIGTERM
 *   benchload steady RESULT ROOTFS_DIR VOLUME_DIR CPU_ROUNDS SYSCALLS IO_MIB
 *       time with CLOCK_MONOTONIC a CPU-bound loop, SYSCALLS getppid calls,
 *       and file I/O in ROOTFS_DIR and VOLUME_DIR (write IO_MIB MiB in 1 MiB
 *       blocks and fsync, timed; read back and check; unlink); write the
 *       results to RESULT as one JSON line (to RESULT.tmp, then renamed: the
 *       host never reads half a line). RESULT.begin and RESULT.end are created
 *       at the ends of span_ms, so the host can check this clock against its
 *       own. ROOTFS_DIR on a read-only file system is skipped (rootfs_write_ms
 *       is null).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig) {
	(void)sig;
	_exit(0);
}

/* As PID 1 of a pid namespace the default actions of SIGTERM and SIGINT do nothing: handle them. */
static int ready(const char *file) {
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(file);
		return 1;
	}
	close(fd);
	for (;;)
		pause();
}

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The smallest step CLOCK_MONOTONIC makes, by watching it change a few times:
 * ~20 ns on a clock source, a whole tick (4 ms) on jiffies. clock_getres
 * tells neither: it gives the timers' resolution.
 */
static double clock_step_ns(void) {
	double best = 1e12;
	for (int i = 0; i < 3; i++) {
		double a = now_ms(), b;
		while ((b = now_ms()) == a)
			;
		if ((b - a) * 1e6 < best)
			best = (b - a) * 1e6;
	}
	return best;
}

#define TABLE (1u << 16)

/*
 * Integer work with loads and stores, as real code has (a 256 KiB table,
 * like a hash table's updates): each round's xorshift64* step needs the
 * previous one, and the sum is reported, so the compiler can neither
 * vectorise nor drop it. The seed comes from the command line and the pid,
 * so nothing is known at compile time.
 */
static uint64_t cpu_work(uint64_t rounds, uint64_t seed) {
	static uint32_t table[TABLE];
	uint64_t x = seed | 1, sum = 0;
	for (uint64_t i = 0; i < rounds; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint32_t k = (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 40) & (TABLE - 1);
		table[k] += (uint32_t)x;
		sum += table[(k * 7 + 1) & (TABLE - 1)];
	}
	return sum;
}

/* The cheapest real syscall: through syscall(2), never a libc cache. */
static void syscall_work(long calls) {
	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);
}

struct io_result {
	int skipped;     /* the directory's file system is read-only */
	double write_ms; /* write MIB blocks of 1 MiB, then fsync */
	char fs[64];     /* the type of the mount the directory is on */
};

#define BLOCK (1 << 20)

/* The type of the mount `dir` is on (statfs is no help: 9p passes the host's type through). */
static void fs_type(const char *dir, char *type, size_t size) {
	snprintf(type, size, "unknown");
	FILE *f = fopen("/proc/self/mounts", "re");
	if (!f)
		return;
	char line[4096], at[4096], fs[64];
	size_t best = 0;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%*s %4095s %63s", at, fs) != 2)
			continue;
		size_t n = strlen(at);
		int under = strcmp(at, "/") == 0 || (strncmp(dir, at, n) == 0 && (dir[n] == '/' || dir[n] == '\0'));
		if (under && n >= best) {
			best = n;
			snprintf(type, size, "%s", fs);
		}
	}
	fclose(f);
}

static int fail(const char *what, const char *path) {
	fprintf(stderr, "benchload: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

/* Each block starts with its index, so a block read back from the wrong place does not pass. */
static void fill(unsigned char *buf, long block) {
	memset(buf, (int)(block & 0xff) ^ 0x5a, BLOCK);
	memcpy(buf, &block, sizeof block);
}

static int read_block(int fd, unsigned char *buf, const char *path) {
	for (size_t got = 0; got < BLOCK;) {
		ssize_t n = read(fd, buf + got, BLOCK - got);
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return fail("read", path);
		got += (size_t)n;
	}
	return 0;
}

/* Write the file (timed), read it back and check it (so the bytes did land), unlink it. */
static int io_work(const char *dir, long mib, unsigned char *buf, unsigned char *expect, struct io_result *r) {
	char path[4096];
	snprintf(path, sizeof path, "%s/.benchload-%ld", strcmp(dir, "/") == 0 ? "" : dir, (long)getpid());
	fs_type(dir, r->fs, sizeof r->fs);
	double start = now_ms();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EROFS) {
		r->skipped = 1;
		return 0;
	}
	if (fd < 0)
		return fail("open", path);
	for (long b = 0; b < mib; b++) {
		fill(buf, b);
		if (write(fd, buf, BLOCK) != BLOCK)
			return fail("write", path);
	}
	if (fsync(fd) != 0)
		return fail("fsync", path);
	close(fd);
	r->write_ms = now_ms() - start;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	for (long b = 0; b < mib; b++) {
		if (read_block(fd, buf, path) != 0)
			return -1;
		fill(expect, b);
		if (memcmp(buf, expect, BLOCK) != 0) {
			errno = EIO;
			return fail("check what was read back from", path);
		}
	}
	close(fd);
	if (unlink(path) != 0)
		return fail("unlink", path);
	return 0;
}

static void io_json(FILE *f, const char *name, const struct io_result *r) {
	if (r->skipped)
		fprintf(f, ",\"%s_write_ms\":null", name);
	else
		fprintf(f, ",\"%s_write_ms\":%.3f", name, r->write_ms);
	fprintf(f, ",\"%s_fs\":\"%s\"", name, r->fs);
}

static long number(const char *s, const char *what) {
	char *end;
	long n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "benchload: %s: expected a positive number, got %s\n", what, s);
		exit(2);
	}
	return n;
}

/* Create a file and close it at once. */
static int touch(const char *path) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("create", path);
	close(fd);
	return 0;
}

static int steady(char **argv) {
	const char *result = argv[0], *rootfs = argv[1], *volume = argv[2];
	long rounds = number(argv[3], "CPU_ROUNDS"), calls = number(argv[4], "SYSCALLS"), mib = number(argv[5], "IO_MIB");
	unsigned char *buf = malloc(BLOCK), *expect = malloc(BLOCK);
	char begin[4096], end[4096], tmp[4096];
	snprintf(begin, sizeof begin, "%s.begin", result);
	snprintf(end, sizeof end, "%s.end", result);
	snprintf(tmp, sizeof tmp, "%s.tmp", result);
	if (!buf || !expect || touch(begin) != 0)
		return 1;

	double first = now_ms();
	uint64_t check = cpu_work((uint64_t)rounds, (uint64_t)rounds ^ (uint64_t)getpid());
	double cpu_ms = now_ms() - first;

	double start = now_ms();
	syscall_work(calls);
	double syscall_ns = (now_ms() - start) * 1e6 / calls;

	struct io_result root = {0}, vol = {0};
	if (io_work(rootfs, mib, buf, expect, &root) != 0 || io_work(volume, mib, buf, expect, &vol) != 0)
		return 1;
	if (vol.skipped) {
		fprintf(stderr, "benchload: %s is read-only\n", volume);
		return 1;
	}
	double span_ms = now_ms() - first;
	if (touch(end) != 0)
		return 1;

	FILE *f = fopen(tmp, "we");
	if (!f) {
		fail("open", tmp);
		return 1;
	}
	fprintf(f, "{\"span_ms\":%.3f,\"clock_step_ns\":%.0f,\"cpu_ms\":%.3f,\"cpu_check\":\"%016" PRIx64 "\",\"syscall_ns\":%.2f,\"io_mib\":%ld",
		span_ms, clock_step_ns(), cpu_ms, check, syscall_ns, mib);
	io_json(f, "rootfs", &root);
	io_json(f, "volume", &vol);
	fprintf(f, "}\n");
	if (fclose(f) != 0 || rename(tmp, result) != 0) {
		fail("write", result);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "ready") == 0)
		return ready(argv[2]);
	if (argc == 8 && strcmp(argv[1], "steady") == 0)
		return steady(argv + 2);
	fprintf(stderr, "usage: benchload ready FILE\n       benchload steady RESULT ROOTFS_DIR VOLUME_DIR CPU_ROUNDS SYSCALLS IO_MIB\n");
	return 2;
}
