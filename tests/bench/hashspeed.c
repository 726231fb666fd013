/* SPDX-License-Identifier: MIT */
/*
 * hashspeed — MetroHash64 speed of this machine on 16 KiB blocks: hashes
 * 1 GiB (a 64 MiB buffer of pseudo-random bytes, 16 passes) with
 * gefs_blkhash and prints MiB/s and blocks/s.  Built by walk.sh against
 * the static library; the ceiling for "blocks verified per second".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "gefs.h"

int
main(void)
{
	enum { BUF = 64 << 20, TOTAL = 1 << 30 };
	struct timespec t0, t1;
	uint64_t x, sum, done;
	uint8_t *b;
	size_t i;
	double s;

	b = malloc(BUF);
	if (b == NULL)
		return 1;
	for (i = 0, x = 0x9e3779b97f4a7c15ull; i < BUF; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = (uint8_t)x;
	}
	sum = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (done = 0; done < TOTAL; done += GEFS_BLKSZ)
		sum += gefs_blkhash(b + done % BUF);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("metrohash: %.0f MiB/s, %.0f blocks/s (1 GiB of 16 KiB blocks in %.3f s; sum %llx)\n",
		(double)TOTAL / (1 << 20) / s, (double)TOTAL / GEFS_BLKSZ / s, s,
		(unsigned long long)sum);
	free(b);
	return 0;
}
