/* SPDX-License-Identifier: MIT */
/*
 * fadvise — drop the page-cache pages of the files named (clean pages
 * only: posix_fadvise POSIX_FADV_DONTNEED), for cold-cache benchmarks
 * without root's drop_caches.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int i, fd, rc, err;

	rc = 0;
	for (i = 1; i < argc; i++) {
		fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			perror(argv[i]);
			rc = 1;
			continue;
		}
		fdatasync(fd);
		err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (err != 0) {
			fprintf(stderr, "%s: posix_fadvise: %s\n", argv[i], strerror(err));
			rc = 1;
		}
		close(fd);
	}
	return rc;
}
