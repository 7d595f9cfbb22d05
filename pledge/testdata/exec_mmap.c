/* exec_mmap: started by a process pledged with execpromises (exec_test.go).
 * It says it started (its loader has mapped libc by then), then maps
 * anonymous memory PROT_EXEC, which execpromises "stdio" do not allow. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
	printf("started\n");
	fflush(stdout);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
	return 0;
}
