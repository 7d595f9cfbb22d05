/*
 * lpfilter: the differential test's driver. It reads lines
 *
 *	ARCH VIOLATION LOADER PID SET[/L] [SET[/L]...]
 *
 * (VIOLATION, LOADER: seccomp actions in hex, 0 for none; PID decimal;
 * SETs promise sets as hex bit masks, /1 for a filter built with a path
 * layer, /0 or nothing without) and writes for each SET the program
 * libpledge's pledge() would load after the sets before it were loaded:
 * the full filter for the first, then the delta filters it stacks:
 *
 *	prog N CODE:JT:JF:K ...      (hex)
 *	err ERRNO
 *
 * and an empty line after each input line.
 */
#include <inttypes.h>

#include "testlib.h"
#include "src/lpl.h"

static struct lpl_filter full[2], delta;
static struct lpl_insn prog[4096];

static void
print_prog(unsigned n)
{
	printf("prog %u", n);
	for (unsigned i = 0; i < n; i++)
		printf(" %x:%x:%x:%x", prog[i].code, prog[i].jt, prog[i].jf, prog[i].k);
	printf("\n");
}

int
main(void)
{
	char line[1 << 16];
	while (fgets(line, sizeof line, stdin)) {
		char *save = 0;
		char *arch = strtok_r(line, " \n", &save);
		if (!arch)
			continue;
		const struct lpl_table *t = lpl_table_by_name(arch);
		struct lpl_filter_opts o = {0};
		o.violation = (uint32_t)strtoul(strtok_r(0, " \n", &save), 0, 16);
		o.loader = (uint32_t)strtoul(strtok_r(0, " \n", &save), 0, 16);
		o.pid = (uint32_t)strtoul(strtok_r(0, " \n", &save), 0, 10);
		int have = 0, cur = 0;
		for (char *s; (s = strtok_r(0, " \n", &save));) {
			char *end = 0;
			uint64_t set = strtoull(s, &end, 16);
			o.pathlayer = end && *end == '/' ? (uint32_t)strtoul(end + 1, 0, 10) : 0;
			if (!t) {
				printf("err %s\n", errname(EINVAL));
				continue;
			}
			int err = lpl_build_filter(&full[cur], t, set, &o);
			const struct lpl_filter *f = &full[cur];
			if (!err && have) {
				err = lpl_delta_filter(&delta, &full[1 - cur], &full[cur]);
				f = &delta;
			}
			unsigned n = 0;
			if (!err)
				err = lpl_compile(f, prog, 4096, &n);
			if (err) {
				printf("err %s\n", errname(-err));
				continue;
			}
			print_prog(n);
			have = 1;
			cur = 1 - cur;
		}
		printf("\n");
		fflush(stdout);
	}
	return 0;
}
