/* SPDX-License-Identifier: MIT */
/*
 * hash — MetroHash64, variant 1 (FORMAT.md §21).  Reads little-endian
 * words whatever the host order; every product is a full 64-bit product.
 */
#include <string.h>
#include "gefs.h"

enum { K0 = 0xC83A91E1u, K1 = 0x8648DBDBu, K2 = 0x7BDEC03Bu, K3 = 0x2F5870A5u };

static inline uint64_t
rotr(uint64_t x, int k)
{
	return (x >> k) | (x << (64 - k));
}

/* One little-endian 64-bit word: a plain load, swapped on big-endian hosts. */
static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* An n-byte little-endian word (the 1..4-byte tail steps). */
static inline uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The 32-byte main loop and its finalisation; returns the new h. */
static uint64_t
bulk(const uint8_t **pp, const uint8_t *end, uint64_t h)
{
	const uint8_t *p = *pp;
	uint64_t v0 = h, v1 = h, v2 = h, v3 = h;

	do {
		v0 += le64(p) * K0; v0 = rotr(v0, 29) + v2; p += 8;
		v1 += le64(p) * K1; v1 = rotr(v1, 29) + v3; p += 8;
		v2 += le64(p) * K2; v2 = rotr(v2, 29) + v0; p += 8;
		v3 += le64(p) * K3; v3 = rotr(v3, 29) + v1; p += 8;
	} while (end - p >= 32);
	v2 ^= rotr(((v0 + v3) * K0) + v1, 33) * K1;
	v3 ^= rotr(((v1 + v2) * K1) + v0, 33) * K0;
	v0 ^= rotr(((v0 + v2) * K0) + v3, 33) * K1;
	v1 ^= rotr(((v1 + v3) * K1) + v2, 33) * K0;
	*pp = p;
	return h + (v0 ^ v1);
}

uint64_t
gefs_metrohash64(const void *buf, size_t n, uint64_t seed)
{
	const uint8_t *p = buf, *end = p + n;
	uint64_t h, a, b;

	h = ((seed + K2) * K0) + n;
	if (n >= 32)
		h = bulk(&p, end, h);
	if (end - p >= 16) {
		a = h + le64(p) * K0; p += 8; a = rotr(a, 33) * K1;
		b = h + le64(p) * K1; p += 8; b = rotr(b, 33) * K2;
		a ^= rotr(a * K0, 35) + b;
		b ^= rotr(b * K3, 35) + a;
		h += b;
	}
	if (end - p >= 8) { h += le64(p) * K3; p += 8; h ^= rotr(h, 33) * K1; }
	if (end - p >= 4) { h += le(p, 4) * K3; p += 4; h ^= rotr(h, 15) * K1; }
	if (end - p >= 2) { h += le(p, 2) * K3; p += 2; h ^= rotr(h, 13) * K1; }
	if (end - p >= 1) { h += le(p, 1) * K3; h ^= rotr(h, 25) * K1; }
	h ^= rotr(h, 33);
	h *= K0;
	h ^= rotr(h, 33);
	return h;
}

uint64_t
gefs_bufhash(const void *p, size_t n)
{
	return gefs_metrohash64(p, n, GEFS_SEED);
}

uint64_t
gefs_blkhash(const void *blk)
{
	return gefs_metrohash64(blk, GEFS_BLKSZ, GEFS_SEED);
}
