/*
 * Promise strings, by OpenBSD's rules as promise.Parse applies them:
 * words separated by single spaces; runs of spaces and trailing spaces
 * are fine, a leading space makes an empty word (EINVAL), an unknown word
 * is EINVAL, duplicates are fine, and more than 1023 bytes is
 * ENAMETOOLONG before any word is looked at.
 */
#include <errno.h>
#include <string.h>

#include "lpl.h"
#include "../zcommon.h"

int
lpl_parse_promises(const char *s, uint64_t *set)
{
	size_t len = strnlen(s, LPL_PROMISES_MAXLEN + 1);
	if (len > LPL_PROMISES_MAXLEN)
		return -ENAMETOOLONG;
	uint64_t p = 0;
	const char *rest = s;
	while (*rest) {
		const char *sp = strchr(rest, ' ');
		size_t n = sp ? (size_t)(sp - rest) : strlen(rest);
		int found = -1;
		for (int i = 0; i < LPL_NPROMISES && found < 0; i++) {
			if (strlen(lpl_promise_names[i]) == n && memcmp(lpl_promise_names[i], rest, n) == 0)
				found = i;
		}
		if (found < 0)
			return -EINVAL;
		p |= 1ull << found;
		rest += n;
		while (*rest == ' ')
			rest++;
	}
	*set = p;
	return 0;
}

void
lpl_format_promises(uint64_t set, char *buf, size_t len)
{
	size_t at = 0;
	if (len == 0)
		return;
	buf[0] = 0;
	for (int i = 0; i < LPL_NPROMISES; i++) {
		if (!(set & (1ull << i)))
			continue;
		size_t n = strlen(lpl_promise_names[i]);
		if (at + (at > 0) + n + 1 > len)
			break;
		if (at > 0)
			buf[at++] = ' ';
		memcpy(buf + at, lpl_promise_names[i], n);
		at += n;
		buf[at] = 0;
	}
}

/* lpl_errno_by_name is pledge's errnoByName: the errno x/sys names name
 * (case-insensitively), or 0. */
int
lpl_errno_by_name(const char *name)
{
	for (const struct lpl_errno_name *e = lpl_errno_names; e->name; e++) {
		const char *a = e->name, *b = name;
		while (*a && (*b == *a || (*b >= 'a' && *b <= 'z' && *b - 'a' + 'A' == *a)))
			a++, b++;
		if (!*a && !*b)
			return e->value;
	}
	return 0;
}
