/* SPDX-License-Identifier: MIT */
/*
 * sha256 — SHA-256 as FIPS 180-4 §6.2 defines it, for the manifests that
 * fs.c prints (the reference images list each file's SHA-256).  No crypto
 * library is linked; this is a plain, byte-order-independent rendering of
 * the standard's algorithm.
 */
#include <string.h>
#include "internal.h"

/* First 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4 §4.2.2). */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

/* Process one 64-byte block into the state (§6.2.2). */
static void
compress(Sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = gefs_get32(p + 4 * i);
	for (; i < 64; i++)
		w[i] = (ror(w[i-2], 17) ^ ror(w[i-2], 19) ^ w[i-2] >> 10) + w[i-7]
			+ (ror(w[i-15], 7) ^ ror(w[i-15], 18) ^ w[i-15] >> 3) + w[i-16];
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

/* Start a digest: the initial hash value of §5.3.3. */
void
sha256init(Sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof iv);
	s->len = 0;
	s->nbuf = 0;
}

/* Feed n bytes. */
void
sha256update(Sha256 *s, const void *p, size_t n)
{
	const uint8_t *q = p;
	size_t m;

	s->len += n;
	while (n > 0) {
		if (s->nbuf == 0 && n >= 64) {
			compress(s, q);
			q += 64;
			n -= 64;
			continue;
		}
		m = 64 - s->nbuf;
		if (m > n)
			m = n;
		memcpy(s->buf + s->nbuf, q, m);
		s->nbuf += m;
		q += m;
		n -= m;
		if (s->nbuf == 64) {
			compress(s, s->buf);
			s->nbuf = 0;
		}
	}
}

/* Pad (§5.1.1) and write the 32-byte digest. */
void
sha256final(Sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	int i;

	s->buf[s->nbuf++] = 0x80;
	if (s->nbuf > 56) {
		memset(s->buf + s->nbuf, 0, 64 - s->nbuf);
		compress(s, s->buf);
		s->nbuf = 0;
	}
	memset(s->buf + s->nbuf, 0, 56 - s->nbuf);
	gefs_put64(s->buf + 56, bits);
	compress(s, s->buf);
	for (i = 0; i < 8; i++)
		gefs_put32(out + 4 * i, s->h[i]);
}

/* Lower-case hex of a digest into hex (65 bytes, NUL-terminated). */
void
sha256hex(const uint8_t d[32], char hex[65])
{
	static const char xd[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = xd[d[i] >> 4];
		hex[2 * i + 1] = xd[d[i] & 0xf];
	}
	hex[64] = 0;
}
