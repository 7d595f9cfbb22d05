/*
 * Arenas: bump allocation from a static buffer first, then from chunks
 * mapped with mmap(2), all given back at once by lpl_arena_reset. No
 * malloc: the library must work in a freshly forked child of a threaded
 * program and under promises without "stdio" as far as the static buffer
 * goes (mmap needs "stdio").
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lpl.h"

struct lpl_chunk {
	struct lpl_chunk *next;
	size_t size, used;
};

#define CHUNK_MIN (256 * 1024)
#define ALIGN 16

void
lpl_arena_init(struct lpl_arena *a, void *buf, size_t size)
{
	memset(a, 0, sizeof *a);
	a->buf = buf;
	a->size = size;
}

void *
lpl_alloc(struct lpl_arena *a, size_t n)
{
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n == 0)
		n = ALIGN;
	if (a->size - a->used >= n) {
		void *p = a->buf + a->used;
		a->used += n;
		return p;
	}
	struct lpl_chunk *c = a->chunks;
	size_t hdr = (sizeof *c + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (c && c->size - c->used >= n) {
		void *p = (char *)c + c->used;
		c->used += n;
		return p;
	}
	if (lpl_stdio_denied())
		return 0; /* mmap is stdio's */
	size_t size = n + hdr > CHUNK_MIN ? n + hdr : CHUNK_MIN;
	long r = lpl_syscall(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0 && r > -4096)
		return 0;
	c = (struct lpl_chunk *)r;
	c->next = a->chunks;
	c->size = size;
	c->used = hdr + n;
	a->chunks = c;
	return (char *)c + hdr;
}

char *
lpl_strdup(struct lpl_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = lpl_alloc(a, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void
lpl_arena_reset(struct lpl_arena *a)
{
	while (a->chunks) {
		struct lpl_chunk *c = a->chunks;
		a->chunks = c->next;
		if (!lpl_stdio_denied())
			lpl_sys2(SYS_munmap, c, c->size);
	}
	a->used = 0;
}
