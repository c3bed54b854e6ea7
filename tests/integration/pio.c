// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mpathfs-pio: a verifying writer for byte-granular I/O on the device file.
 *
 *   mpathfs-pio [-q DEPTH] [-n OPS] [-s SEED] [-o OFFSET] [-l LENGTH]
 *               [-S STRIPE] [-e EXPECTED_FILE] DEVICE
 *
 * Writes random data at arbitrary byte offsets with arbitrary lengths
 * (1 byte up to a stripe) into [OFFSET, OFFSET+LENGTH), and keeps what it
 * wrote in a shadow copy. I/O is O_DIRECT through libaio with up to DEPTH
 * requests in flight: the kernel serialises synchronous writes to a FUSE
 * file, but lets asynchronous direct I/O reach the daemon concurrently.
 *
 * The region is cut into stripes of STRIPE bytes (odd by default, so they
 * straddle sector and page boundaries); at most one request per stripe is
 * in flight, so no two requests in flight touch the same byte and the
 * expected content is exact whatever order they complete in. Half the
 * time the next write goes to a stripe next to one just submitted, so
 * requests that share a sector (and need read-modify-write of it in the
 * daemon) are in flight together: a lost update shows up as a mismatch.
 * One request in eight reads a stripe back and checks it. At the end
 * every byte of the region is read back (in chunks of random length) and
 * compared with the shadow.
 *
 * Exit status: 0 all bytes match, 1 mismatch, 2 I/O error, 3 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libaio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 256

struct slot {
	struct iocb cb;
	unsigned char *buf;
	uint64_t stripe;
	uint64_t rel;		/* offset in the region */
	size_t len;
	bool write;
	bool busy;
};

static uint64_t region_off, region_len = 4u << 20, stripe_size = 1531;
static unsigned long nops = 4000;
static unsigned depth = 32;
static uint64_t seed = 1;
static unsigned char *shadow;
static unsigned char *stripe_busy;
static unsigned long mismatches;

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static int full_pread(int fd, unsigned char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "pio: pread(%zu bytes at %" PRIu64 "): %s\n", len, off,
				n < 0 ? strerror(errno) : "unexpected end of file");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Compare buf (read at region offset rel) with the shadow; report the first bad byte. */
static void check(const unsigned char *buf, size_t len, uint64_t rel, const char *when)
{
	size_t i, bad = 0, first = 0;

	if (!memcmp(buf, shadow + rel, len))
		return;
	for (i = 0; i < len; i++)
		if (buf[i] != shadow[rel + i]) {
			if (!bad++)
				first = i;
		}
	fprintf(stderr, "pio: %s: %zu of %zu bytes differ in the read at %" PRIu64
		"; first at device offset %" PRIu64 " (read 0x%02x, expected 0x%02x)\n",
		when, bad, len, region_off + rel, region_off + rel + first, buf[first],
		shadow[rel + first]);
	mismatches += bad;
}

/* A length for the next request into room bytes: tiny, odd, or anything. */
static size_t pick_len(uint64_t *s, size_t room)
{
	size_t len;

	switch (rnd(s) % 4) {
	case 0:
		len = 1 + rnd(s) % 17;		/* a few bytes */
		break;
	case 1:
		len = 511 + rnd(s) % 3;		/* about a sector */
		break;
	case 2:
		len = 4095 + rnd(s) % 3;	/* about a page */
		break;
	default:
		len = 1 + rnd(s) % room;
		break;
	}
	if (len > room)
		len = room;
	if (len > 1 && len % 512 == 0)
		len--;				/* never a whole number of sectors */
	return len;
}

static void usage(void)
{
	fprintf(stderr, "usage: mpathfs-pio [-q DEPTH] [-n OPS] [-s SEED] [-o OFFSET] "
		"[-l LENGTH] [-S STRIPE] [-e EXPECTED_FILE] DEVICE\n");
	exit(3);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static struct slot slots[MAX_DEPTH];
	struct io_event events[MAX_DEPTH];
	const char *expected = NULL;
	unsigned long submitted = 0, nwrites = 0, nreads = 0, wbytes = 0;
	uint64_t nstripes, last = 0, s, pos;
	unsigned inflight = 0, i;
	io_context_t ctx = 0;
	unsigned char *buf;
	int fd, dfd, c, r;

	while ((c = getopt(argc, argv, "q:n:s:o:l:S:e:")) != -1) {
		switch (c) {
		case 'q': depth = (unsigned)num(optarg); break;
		case 'n': nops = (unsigned long)num(optarg); break;
		case 's': seed = num(optarg); break;
		case 'o': region_off = num(optarg); break;
		case 'l': region_len = num(optarg); break;
		case 'S': stripe_size = num(optarg); break;
		case 'e': expected = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !depth || depth > MAX_DEPTH || !region_len || !stripe_size)
		usage();
	nstripes = (region_len + stripe_size - 1) / stripe_size;
	if (nstripes < 2 * (uint64_t)depth) {
		fprintf(stderr, "pio: need at least 2 * DEPTH stripes\n");
		return 3;
	}
	fd = open(argv[optind], O_RDWR | O_CLOEXEC);
	dfd = open(argv[optind], O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || dfd < 0) {
		fprintf(stderr, "pio: open %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	shadow = malloc(region_len);
	stripe_busy = calloc(nstripes, 1);
	if (!shadow || !stripe_busy || posix_memalign((void **)&buf, 4096, 1u << 20)) {
		fprintf(stderr, "pio: out of memory\n");
		return 2;
	}
	for (i = 0; i < depth; i++)
		if (posix_memalign((void **)&slots[i].buf, 4096, stripe_size + 4096)) {
			fprintf(stderr, "pio: out of memory\n");
			return 2;
		}
	if (full_pread(fd, shadow, region_len, region_off) < 0)
		return 2;
	r = io_setup((int)depth, &ctx);
	if (r < 0) {
		fprintf(stderr, "pio: io_setup: %s\n", strerror(-r));
		return 2;
	}

	s = seed * 0x9e3779b97f4a7c15ull + 1;
	while (submitted < nops || inflight) {
		/* fill the queue */
		while (submitted < nops && inflight < depth) {
			struct slot *sl = NULL;
			struct iocb *cbp;
			uint64_t k, start, end;

			for (i = 0; i < depth; i++)
				if (!slots[i].busy) {
					sl = &slots[i];
					break;
				}
			/* half the time a neighbour of the last stripe: shared sectors */
			k = rnd(&s) % 2 ? last + (rnd(&s) % 2 ? 1 : nstripes - 1) : rnd(&s);
			k %= nstripes;
			while (stripe_busy[k])
				k = (k + 1) % nstripes;
			start = k * stripe_size;
			end = start + stripe_size > region_len ? region_len : start + stripe_size;
			sl->rel = start + rnd(&s) % (end - start);
			sl->len = pick_len(&s, (size_t)(end - sl->rel));
			sl->stripe = k;
			sl->write = rnd(&s) % 8 != 0;
			if (sl->write) {
				for (size_t j = 0; j < sl->len; j++)
					sl->buf[j] = (unsigned char)rnd(&s);
				/* nothing else in flight touches these bytes */
				memcpy(shadow + sl->rel, sl->buf, sl->len);
				io_prep_pwrite(&sl->cb, dfd, sl->buf, sl->len,
					       (long long)(region_off + sl->rel));
			} else {
				io_prep_pread(&sl->cb, dfd, sl->buf, sl->len,
					      (long long)(region_off + sl->rel));
			}
			sl->cb.data = sl;
			cbp = &sl->cb;
			r = io_submit(ctx, 1, &cbp);
			if (r != 1) {
				fprintf(stderr, "pio: io_submit: %s\n", r < 0 ? strerror(-r) : "refused");
				return 2;
			}
			sl->busy = true;
			stripe_busy[k] = 1;
			last = k;
			inflight++;
			submitted++;
		}
		r = io_getevents(ctx, 1, (long)depth, events, NULL);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "pio: io_getevents: %s\n", strerror(-r));
			return 2;
		}
		for (int e = 0; e < r; e++) {
			struct slot *sl = events[e].data;
			long res = (long)events[e].res;

			if (res != (long)sl->len) {
				fprintf(stderr, "pio: %s of %zu bytes at %" PRIu64 ": %s\n",
					sl->write ? "write" : "read", sl->len, region_off + sl->rel,
					res < 0 ? strerror((int)-res) : "short transfer");
				return 2;
			}
			if (sl->write) {
				nwrites++;
				wbytes += sl->len;
			} else {
				nreads++;
				check(sl->buf, sl->len, sl->rel, "read-back during the writes");
			}
			stripe_busy[sl->stripe] = 0;
			sl->busy = false;
			inflight--;
		}
	}
	io_destroy(ctx);

	/* verify every byte, in reads of random length at unaligned offsets */
	s = seed ^ 0x5555;
	for (pos = 0; pos < region_len;) {
		size_t len = 1 + rnd(&s) % (1u << 20);

		if (len > region_len - pos)
			len = (size_t)(region_len - pos);
		if (full_pread(fd, buf, len, region_off + pos) < 0)
			return 2;
		nreads++;
		check(buf, len, pos, "final verify");
		pos += len;
	}
	if (expected) {
		FILE *f = fopen(expected, "w");

		if (!f || fwrite(shadow, 1, region_len, f) != region_len || fclose(f)) {
			fprintf(stderr, "pio: cannot write %s\n", expected);
			return 2;
		}
	}
	printf("pio: depth %u, %lu writes (%lu bytes), %lu reads, %lu bytes mismatched\n",
	       depth, nwrites, wbytes, nreads, mismatches);
	close(dfd);
	close(fd);
	free(buf);
	return mismatches ? 1 : 0;
}
