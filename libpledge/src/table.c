/*
 * The generated tables of every architecture libpledge knows, so that a
 * test driver can build the filter of either on any host; the library
 * itself uses the native one.
 */
#include <string.h>

#include "lpl.h"
#include "../ztable_amd64.h"
#include "../ztable_arm64.h"

const struct lpl_table *const lpl_tables[] = {&lpl_table_amd64, &lpl_table_arm64, 0};

const struct lpl_table *
lpl_native_table(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return &lpl_table_amd64;
#elif defined(__aarch64__) && !defined(__ILP32__)
	return &lpl_table_arm64;
#else
	return 0;
#endif
}

const struct lpl_table *
lpl_table_by_name(const char *name)
{
	for (int i = 0; lpl_tables[i]; i++) {
		if (strcmp(lpl_tables[i]->name, name) == 0)
			return lpl_tables[i];
	}
	return 0;
}
