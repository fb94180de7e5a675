/*
 * benchload: the bench's workload, the same static program inside every pod
 * and on the host.
 *
 *   benchload ready FILE   create FILE (the pod is ready), then wait for SIGTERM
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "ready") == 0)
		return ready(argv[2]);
	fprintf(stderr, "usage: benchload ready FILE\n");
	return 2;
}
