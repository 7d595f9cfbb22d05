/* Shared bits of libpledge's test programs. */
#ifndef LPL_TESTLIB_H
#define LPL_TESTLIB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/table.h"
#include "zcommon.h"

/* errname is the errno's name as the Go tests print it
 * (sandboxtest.ErrnoName: x/sys's names), "ok" for 0. */
static inline const char *
errname(int e)
{
	if (e == 0)
		return "ok";
	for (const struct lpl_errno_name *n = lpl_errno_names; n->name; n++) {
		if (n->value == e)
			return n->name;
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#endif
