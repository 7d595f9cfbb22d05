/*
 * lplayer: the path layer differential test's driver. It opens the named
 * files a first pledge of OPEN opens (lpl_named_open), then reads lines
 *
 *	ABI SET
 *
 * (ABI decimal, SET a promise set as a hex bit mask) and writes for each
 * the path layer a pledge of SET stacks on ABI ABI and the rules the veil
 * it commits gets for its named paths:
 *
 *	layer HANDLED PATH=ACCESS...   (hex; "layer 0" when it has none)
 *	veil PATH=ACCESS...
 *
 *	lplayer OPEN
 */
#include <inttypes.h>

#include "testlib.h"
#include "src/lpl.h"

static void
print_rules(const uint64_t access[])
{
	for (int i = 0; i < LPL_NNAMED_FILES; i++) {
		if (access[i])
			printf(" %s=%" PRIx64, lpl_named_files[i], access[i]);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lplayer OPEN\n");
		return 2;
	}
	lpl_named_open(strtoull(argv[1], 0, 16));
	char line[256];
	while (fgets(line, sizeof line, stdin)) {
		char *end;
		int abi = (int)strtol(line, &end, 10);
		uint64_t set = strtoull(end, 0, 16);
		if (abi < 1 || abi > LPL_LANDLOCK_MAX_ABI) {
			printf("err %s\n", errname(EINVAL));
			continue;
		}
		uint64_t access[LPL_NNAMED_FILES];
		uint64_t handled = lpl_layer_handled(set, abi);
		printf("layer %" PRIx64, handled);
		lpl_named_access(set, handled, access);
		print_rules(handled ? access : (uint64_t[LPL_NNAMED_FILES]){0});
		printf("veil");
		lpl_named_access(set, ~(uint64_t)0, access);
		print_rules(access);
	}
	return 0;
}
