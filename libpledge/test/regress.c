/*
 * regress: OpenBSD's regress/sys/kern/pledge and regress/sys/kern/unveil,
 * the cases that have a meaning on Linux, written anew for libpledge.
 *
 *	regress -l          list the cases
 *	regress NAME...     run them (all without NAME)
 *
 * Every case runs in a forked child on a fresh fixture and checks exact
 * outcomes step by step (an errno name, or "ok"); the child's end is
 * checked too (an exit status or the killing signal). Each case prints
 * "sandboxtest: NAME=ok", or the first failure, which the Go test
 * (regress_test.go) reads. Where Linux differs from OpenBSD the check
 * states the Linux outcome and the comment OpenBSD's; COMPAT.md says why.
 *
 * The fixture, in a new directory under $TMPDIR:
 *	dir1/ dir1/subdir/   unveiled by most cases
 *	dir2/ dir2/subdir/   not unveiled
 *	file1 (0700), file2
 * and, removed after each case if it made them, outside (a directory
 * outside /tmp: in /var/tmp) and tmpsub (one in /tmp), named after it.
 *
 *	regress -named MODE WANT
 * is a helper the exec'd cases run: it does what MODE names (as glibc
 * uses OpenBSD's named paths) and fails unless the result is WANT.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <link.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caselib.h"
#include "pledge.h"

extern char **environ;

static char base[512], dir1[600], dir2[600], file1[600], file2[600];
static char outside[600], tmpsub[600];

/* CHECK_FD: a call returning a descriptor, closed again. */
#define CHECK_FD(call, want)                                  \
	do {                                                  \
		int fd_ = (call);                             \
		check(__LINE__, #call, fd_ < 0 ? errno : 0, want); \
		if (fd_ >= 0)                                 \
			close(fd_);                           \
	} while (0)
/* CHECK_DIR: opendir(3). */
#define CHECK_DIR(path, want)                                       \
	do {                                                        \
		DIR *d_ = opendir(path);                            \
		check(__LINE__, "opendir " #path, d_ ? 0 : errno, want); \
		if (d_)                                             \
			closedir(d_);                               \
	} while (0)

static void
touch(const char *p)
{
	int fd = open(p, O_RDWR | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

/* child_status forks, runs fn in the child and returns how it ended. */
static const char *
child_status(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		fn();
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	return status(st);
}

/* run_prog forks and execs argv with our stdout and returns how it ended. */
static const char *
run_prog(char *const argv[])
{
	fflush(stdout);
	pid_t p = fork();
	if (p < 0)
		return "fork failed";
	if (p == 0) {
		execve(argv[0], argv, environ);
		_exit(126 + (errno == ENOENT));
	}
	int st;
	if (waitpid(p, &st, 0) < 0)
		return "wait failed";
	return status(st);
}

/* OpenBSD's do_unveil: dir1 and file1 with perms; file1 without 'c',
 * which on Linux would put its rights on base, so on file2 and dir2 too
 * (u_exposure shows it). */
static void
unveil_dir1_file1(const char *perms)
{
	char fperms[8];
	size_t k = 0;
	for (const char *p = perms; *p && k < sizeof fperms - 1; p++) {
		if (*p != 'c')
			fperms[k++] = *p;
	}
	fperms[k] = 0;
	MUST(unveil(dir1, perms));
	MUST(unveil(file1, fperms));
}

/* ups is "/.." once per component of p, to climb from p to "/". */
static const char *
ups(const char *p)
{
	static char buf[256];
	buf[0] = 0;
	for (; *p; p++) {
		if (*p == '/' && strlen(buf) + 4 < sizeof buf)
			strcat(buf, "/..");
	}
	return buf;
}

/* Cases. Each is a function run in the child; ends says how the child
 * must end. */

/* unveil(2) ---------------------------------------------------------- */

static void
u_open(void)
{
	int dirfd = open("/", O_RDONLY | O_DIRECTORY);
	int dirfd2 = open(dir2, O_RDONLY | O_DIRECTORY);
	unveil_dir1_file1("rwxc");
	/* OpenBSD's test unveils 26 names more; there is no E2BIG limit
	 * here (COMPAT.md), so 300 of them. */
	char many[700];
	snprintf(many, sizeof many, "%s/many", base);
	MUST(mkdir(many, 0755));
	for (int i = 0; i < 300; i++) {
		char n[16];
		snprintf(n, sizeof n, "n%d", i);
		MUST(unveil(path(many, n), "rwc"));
	}
	/* The veil is committed by the first pledge without "unveil"
	 * (OpenBSD enforces each unveil at once). */
	CHECK(pledge("stdio rpath cpath wpath exec", NULL), "ok");

	CHECK_FD(open(file2, O_RDWR), "EACCES");                  /* OpenBSD: ENOENT */
	CHECK_FD(open(dir2, O_RDONLY | O_DIRECTORY), "EACCES");   /* ENOENT */
	CHECK_FD(open(file1, O_RDWR), "ok");
	CHECK_FD(openat(dirfd, "etc/hosts", O_RDONLY), "EACCES"); /* ENOENT */
	CHECK_FD(openat(dirfd, file2 + 1, O_RDWR), "EACCES");     /* ENOENT */
	CHECK_FD(openat(dirfd2, "hooray", O_RDWR | O_CREAT, 0644), "EACCES"); /* ENOENT */
	CHECK_FD(open(path(dir1, "newfile"), O_RDWR | O_CREAT, 0644), "ok");
	char p[1300];
	snprintf(p, sizeof p, "/%s/doubleslash", dir1);
	CHECK_FD(open(p, O_RDWR | O_CREAT, 0644), "ok");
	snprintf(p, sizeof p, "/%s//doubleslash2", dir1);
	CHECK_FD(open(p, O_RDWR | O_CREAT, 0644), "ok");
	CHECK_FD(open(path(dir2, "newfile"), O_RDWR | O_CREAT, 0644), "EACCES"); /* ENOENT */
	CHECK_FD(open(path(many, "n299"), O_RDWR | O_CREAT, 0644), "ok");
	/* After the commit unveil is locked. */
	CHECK(unveil(file1, "x"), "EPERM");
}

static void
u_opendir(void)
{
	unveil_dir1_file1("rwxc");
	CHECK(unveil(NULL, NULL), "ok");
	char p[1400];
	CHECK_DIR(dir1, "ok");
	CHECK_DIR(dir2, "EACCES"); /* OpenBSD: ENOENT */
	snprintf(p, sizeof p, "/%s/.", dir1);
	CHECK_DIR(p, "ok");
	snprintf(p, sizeof p, "/%s/..", dir1);
	CHECK_DIR(p, "EACCES"); /* ENOENT */
	snprintf(p, sizeof p, "/%s/subdir", dir1);
	CHECK_DIR(p, "ok");
	snprintf(p, sizeof p, "/%s/subdir/../subdir", dir1);
	CHECK_DIR(p, "ok");
	snprintf(p, sizeof p, "/%s%s/%s/subdir", dir1, ups(dir1), dir1);
	CHECK_DIR(p, "ok");
	snprintf(p, sizeof p, "/%s/subdir", dir2);
	CHECK_DIR(p, "EACCES"); /* ENOENT */
	snprintf(p, sizeof p, "%s%s%s/subdir", dir1, ups(dir1), dir2);
	CHECK_DIR(p, "EACCES"); /* ENOENT */
}

static void
u_hide(void)
{
	touch(path(dir1, "f"));
	touch(path(dir1, "subdir/g"));
	MUST(unveil(dir1, "r"));
	MUST(unveil(path(dir1, "subdir"), ""));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(path(dir1, "subdir/g"), O_RDONLY), "EACCES"); /* OpenBSD: ENOENT */
	CHECK_DIR(path(dir1, "subdir"), "EACCES");                 /* ENOENT */
	CHECK_FD(open(path(dir1, "f"), O_RDONLY), "ok");
}

static void
u_noflags(void)
{
	unveil_dir1_file1("rwxc");
	CHECK(pledge("unveil stdio rpath cpath wpath exec", NULL), "ok");
	CHECK_FD(open(file1, O_RDWR), "ok");
	CHECK(unveil(dir1, ""), "ok");
	/* Committed here (OpenBSD: at each unveil). */
	CHECK(pledge("stdio rpath cpath wpath exec", NULL), "ok");
	CHECK_FD(open(path(dir1, "noflagsiamboned"), O_RDWR | O_CREAT, 0644), "EACCES"); /* ENOENT */
	CHECK_FD(open(file1, O_RDWR), "ok");
}

static void
u_unveil_after_pledge(void)
{
	unveil_dir1_file1("rwxc");
	CHECK(pledge("unveil stdio rpath cpath wpath exec", NULL), "ok");
	unveil_dir1_file1("rwxc");
	CHECK(pledge("stdio rpath cpath wpath", NULL), "ok");
	CHECK_FD(open(file2, O_RDWR), "EACCES"); /* OpenBSD: ENOENT */
	CHECK_FD(open(file1, O_RDWR), "ok");
	CHECK(unveil(file2, "r"), "EPERM");
}

static void
u_r(void)
{
	MUST(unveil(file1, "r"));
	MUST(unveil("/", ""));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(file1, O_RDONLY), "ok");
	CHECK_FD(open(file1, O_RDWR), "EACCES");
}

static void
u_rw(void)
{
	MUST(unveil(file1, "rw"));
	MUST(unveil("/", ""));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(file1, O_RDWR), "ok");
	CHECK_FD(open(file1, O_RDONLY), "ok");
}

static void
u_x(void)
{
	struct stat sb;
	MUST(unveil(file1, "x"));
	MUST(unveil("/", ""));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK(lstat(file1, &sb), "ok");           /* OpenBSD: EACCES; Landlock has no stat hook */
	CHECK_FD(open(file1, O_RDONLY), "ok");    /* OpenBSD: EACCES; x carries READ_FILE */
	CHECK_FD(open(file1, O_RDWR), "EACCES");
	CHECK_FD(open(file2, O_RDWR), "EACCES");  /* OpenBSD: ENOENT */
}

static void
u_unlink(void)
{
	char f3[700];
	snprintf(f3, sizeof f3, "%s/nukeme3", base);
	touch(path(dir1, "nukeme"));
	touch(path(dir2, "nukeme"));
	touch(f3);
	unveil_dir1_file1("rwxc");
	MUST(unveil(f3, "rw"));
	CHECK(pledge("stdio fattr rpath cpath wpath", NULL), "ok");
	CHECK(unlink(path(dir1, "nukeme")), "ok");
	CHECK(unlink(path(dir2, "nukeme")), "EACCES"); /* OpenBSD: ENOENT */
	CHECK(unlink(f3), "EACCES");
}

static void
u_link(void)
{
	unveil_dir1_file1("rwxc");
	CHECK(pledge("stdio fattr rpath cpath wpath", NULL), "ok");
	touch(path(dir1, "src"));
	CHECK(link(path(dir1, "src"), path(dir1, "linkuv1")), "ok");
	/* Across directories Landlock wants REFER at both ends: the
	 * file1 entry puts only its name's rights on base (OpenBSD: ok). */
	CHECK(link(file1, path(dir1, "linkuv2")), "EXDEV");
	CHECK(link(file2, path(dir1, "linkuv3")), "EXDEV");            /* OpenBSD: ENOENT */
	CHECK(link(path(dir1, "src"), path(dir2, "linkuv4")), "EACCES"); /* ENOENT */
}

static void
u_chdir(void)
{
	MUST(unveil(dir1, "rwxc"));
	CHECK(pledge("stdio fattr rpath", NULL), "ok");
	CHECK(chdir(dir2), "ok"); /* OpenBSD: ENOENT; Landlock has no chdir hook */
	CHECK(chdir(dir1), "ok");
	CHECK_FD(open("../uvfile2", O_RDONLY), "EACCES"); /* ENOENT */
	CHECK_FD(open("subdir/../../uvfile2", O_RDONLY), "EACCES");
}

static void
u_fchdir(void)
{
	int d2 = open(dir2, O_RDONLY | O_DIRECTORY);
	int d1 = open(dir1, O_RDONLY | O_DIRECTORY);
	touch(path(dir2, "h"));
	touch(path(dir1, "g"));
	MUST(unveil(dir1, "r"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK(fchdir(d2), "ok");
	CHECK_FD(open("h", O_RDONLY), "EACCES"); /* OpenBSD: ENOENT */
	CHECK(fchdir(d1), "ok");
	CHECK_FD(open("g", O_RDONLY), "ok");
	CHECK_FD(openat(d2, "h", O_RDONLY), "EACCES");
	CHECK_FD(openat(d1, "../uvdir2/h", O_RDONLY), "EACCES");
	CHECK_FD(openat(d1, "g", O_RDONLY), "ok");
}

static void
u_parent_dir(void)
{
	char doof[700], p[1400];
	snprintf(doof, sizeof doof, "%s/doof", dir1);
	MUST(mkdir(doof, 0777));
	MUST(mkdir(path(doof, "subdir2"), 0777));
	MUST(mkdir(path(doof, "subdir1"), 0777));
	touch(path(doof, "subdir1/poop"));
	MUST(symlink("../subdir1/poop", path(doof, "subdir1/link")));
	MUST(unveil(dir1, "rwxc"));
	CHECK(pledge("stdio fattr rpath", NULL), "ok");
	CHECK(access(path(doof, "subdir1/link"), R_OK), "ok");
	CHECK(access(path(doof, "subdir1/poop"), R_OK), "ok");
	CHECK(chdir(dir1), "ok");
	snprintf(p, sizeof p, "%s/subdir1", doof);
	CHECK(chdir(p), "ok");
	CHECK(access("poop", R_OK), "ok");
	CHECK(chdir("../subdir2"), "ok");
	CHECK(chdir("../subdir1"), "ok");
	CHECK(chdir("../../doof/subdir2"), "ok");
	CHECK(chdir("../../doof/subdir1"), "ok");
	CHECK(access("../subdir1/poop", R_OK), "ok");
	CHECK_FD(open("../subdir1/poop", O_RDONLY), "ok");
	CHECK(chdir("../../../"), "ok"); /* OpenBSD: ENOENT */
	CHECK_FD(open("uvfile2", O_RDONLY), "EACCES");
}

static void
u_rename(void)
{
	int d1 = open(dir1, O_RDONLY | O_DIRECTORY), d2 = open(dir2, O_RDONLY | O_DIRECTORY);
	char *f1 = path(dir1, "file1"), *f2 = path(dir2, "file2");
	char *r1 = path(dir1, "rfile1"), *r2 = path(dir2, "rfile2");
	touch(f1);
	touch(f2);
	unveil_dir1_file1("rwxc");
	CHECK(pledge("stdio fattr rpath wpath cpath", NULL), "ok");
	CHECK(rename(f1, r1), "ok");
	CHECK(rename(f2, r2), "EACCES"); /* OpenBSD: ENOENT */
	touch(f1);
	CHECK(rename(f1, r2), "EACCES"); /* ENOENT */
	CHECK(rename(f1, file2), "EACCES"); /* ENOENT */
	CHECK(renameat(d1, "file1", d2, "rfile2"), "EACCES"); /* ENOENT */
	CHECK(renameat(d1, "file1", d1, "rfile3"), "ok");
}

static void
u_rename_between(void)
{
	touch(path(dir1, "a"));
	MUST(unveil(dir1, "rwc"));
	MUST(unveil(dir2, "rwc"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK(rename(path(dir1, "a"), path(dir2, "a")), "ok");
	CHECK(link(path(dir2, "a"), path(dir1, "b")), "ok");
}

static void
u_access_stat(void)
{
	struct stat sb;
	struct statfs fs;
	unveil_dir1_file1("rwxc");
	CHECK(pledge("stdio fattr rpath", NULL), "ok");
	/* Landlock has no hook on access, stat and statfs (OpenBSD: ENOENT
	 * outside the veil, statfs always works). */
	CHECK(access(file1, R_OK), "ok");
	CHECK(access(file2, R_OK), "ok");
	CHECK(access(dir2, R_OK), "ok");
	CHECK(stat(file2, &sb), "ok");
	CHECK(stat("/", &sb), "ok");
	CHECK(statfs(file2, &fs), "ok");
	CHECK(statfs("/", &fs), "ok");
}

static void
u_symlink(void)
{
	char buf[256];
	struct stat sb;
	unveil_dir1_file1("rwxc");
	CHECK(pledge("stdio fattr rpath cpath wpath", NULL), "ok");
	char *s1 = path(dir1, "slinkuv1"), *s2 = path(dir2, "slinkuv2");
	CHECK(symlink(file1, s1), "ok");
	CHECK(lstat(s1, &sb), "ok");
	CHECK(lstat(file1, &sb), "ok");
	CHECK(readlink(s1, buf, sizeof buf), "ok");
	CHECK(unlink(s1), "ok");
	CHECK(symlink(file2, s1), "ok");
	CHECK_FD(open(s1, O_RDONLY), "EACCES"); /* a link out of the veil: ENOENT */
	CHECK(symlink(file1, s2), "EACCES");     /* ENOENT */
}

static void
u_chmod(void)
{
	unveil_dir1_file1("rwxc");
	CHECK(pledge("stdio fattr rpath", NULL), "ok");
	CHECK(chmod(file1, S_IRWXU), "ok");
	CHECK(chmod(dir1, S_IRWXU), "ok");
	CHECK(chmod(file2, S_IRWXU), "ok"); /* OpenBSD: ENOENT; left to pledge's fattr */
	CHECK(chmod(file1, S_IRWXU | S_ISUID), "ok"); /* never reached: killed */
}

static void
u_fork_body(void)
{
	CHECK_FD(open(file1, O_RDWR | O_CREAT, 0644), "ok");
	CHECK_DIR(dir1, "ok");
	CHECK_DIR(dir2, "EACCES");                       /* OpenBSD: ENOENT */
	CHECK_FD(open(file2, O_RDWR | O_CREAT, 0644), "EACCES"); /* ENOENT */
	CHECK(unveil(dir2, "r"), "EPERM");             /* locked after fork */
	if (failures)
		_exit(1);
}

static void
u_fork(void)
{
	unveil_dir1_file1("rwxc");
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_STATUS(child_status(u_fork_body), "exit 0");
}

static void
u_fork_before_commit(void)
{
	/* Unveiled but not committed: the child inherits the entries, and
	 * commits them on its own. */
	unveil_dir1_file1("rwxc");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		CHECK(unveil(NULL, NULL), "ok");
		CHECK_FD(open(file2, O_RDONLY), "EACCES");
		CHECK_FD(open(file1, O_RDONLY), "ok");
		_exit(failures ? 1 : 0);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK_STATUS(status(st), "exit 0");
	/* The parent has not committed: nothing is hidden here. */
	CHECK_FD(open(file2, O_RDONLY), "ok");
}

static void
u_slash(void)
{
	MUST(unveil("/bin/sh", "x"));
	MUST(unveil("/", "r"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open("/etc/passwd", O_RDONLY), "ok");
	CHECK_FD(open(file1, O_RDWR), "EACCES");
	CHECK_FD(open(path(dir1, "new"), O_RDWR | O_CREAT, 0644), "EACCES");
	CHECK_DIR("/", "ok");
}

static void
u_dot(void)
{
	MUST(chdir(dir1));
	MUST(unveil(".", "rwxc"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open("./made", O_RDWR | O_CREAT, 0644), "ok");
	CHECK_FD(open("../uvfile2", O_RDONLY), "EACCES");
	CHECK(unlink("made"), "ok");
}

static void
u_dotdotup(void)
{
	touch(path(base, "hello"));
	MUST(unveil(dir1, "rwxc"));
	CHECK(unveil(NULL, NULL), "ok");
	MUST(chdir(dir1));
	CHECK_FD(open("./derp", O_RDWR | O_CREAT, 0644), "ok");
	CHECK_FD(open("derp", O_RDWR | O_CREAT, 0644), "ok");
	CHECK_FD(open("../hello", O_RDWR | O_CREAT, 0644), "EACCES");   /* OpenBSD: ENOENT */
	CHECK_FD(open(".././hello", O_RDWR | O_CREAT, 0644), "EACCES"); /* ENOENT */
}

static void
u_kn(void)
{
	MUST(unveil("/", "r"));
	MUST(unveil("/dev/null", "rw"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open("/dev/null", O_RDWR), "ok");
	CHECK_FD(open("/dev/zero", O_RDONLY), "ok");
	CHECK_FD(open("/dev/zero", O_RDWR), "EACCES");
}

static void
u_missing_name(void)
{
	/* A name that does not exist yet, unveiled with c, can be made;
	 * without c nothing is granted for it. */
	MUST(unveil(path(dir1, "new.db"), "rwc"));
	MUST(unveil(path(dir2, "other"), "rw"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(path(dir1, "new.db"), O_RDWR | O_CREAT, 0644), "ok");
	CHECK(unlink(path(dir1, "new.db")), "ok");
	CHECK_FD(open(path(dir2, "other"), O_RDWR | O_CREAT, 0644), "EACCES");
	CHECK(mkdir(path(dir1, "nodir"), 0755), "EACCES");
}

static void
u_exposure(void)
{
	/* An existing file unveiled with 'c' (OpenBSD's do_unveil): its
	 * rights go on its directory, where they reach every file (Linux
	 * only; OpenBSD: ENOENT for each), but no directory and no listing. */
	MUST(unveil(dir1, "rwxc"));
	MUST(unveil(file1, "rwxc"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(file2, O_RDWR), "ok");
	CHECK_FD(open(path(dir2, "new"), O_RDWR | O_CREAT, 0644), "ok");
	CHECK(mkdir(path(dir2, "nodir"), 0755), "EACCES");
	CHECK_DIR(dir2, "EACCES");
	CHECK_DIR(base, "EACCES");
}

static void
u_replace(void)
{
	MUST(unveil(dir1, "rwc"));
	MUST(unveil(dir1, "r"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(path(dir1, "new"), O_RDWR | O_CREAT, 0644), "EACCES");
	CHECK_DIR(dir1, "ok");
}

static void
u_narrow(void)
{
	touch(path(dir1, "f"));
	MUST(unveil(dir1, "rwc"));
	MUST(unveil(path(dir1, "subdir"), "r"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_FD(open(path(dir1, "subdir/new"), O_RDWR | O_CREAT, 0644), "EACCES");
	CHECK_DIR(path(dir1, "subdir"), "ok");
	CHECK_FD(open(path(dir1, "f"), O_WRONLY), "ok");
	/* A split directory keeps only what is common below it (OpenBSD: ok). */
	CHECK_FD(open(path(dir1, "new"), O_RDWR | O_CREAT, 0644), "EACCES");
}

static void
u_errors(void)
{
	CHECK(unveil(dir1, "rwxcx"), "ENAMETOOLONG");
	CHECK(unveil(dir1, "z"), "EINVAL");
	CHECK(unveil("", "r"), "EINVAL");
	CHECK(unveil(NULL, "r"), "EFAULT");
	CHECK(unveil(dir1, NULL), "EFAULT");
	CHECK(unveil(path(dir1, "nope/deeper"), "r"), "ENOENT");
	CHECK(unveil(path(file1, "below"), "r"), "ENOTDIR");
	/* unveil(NULL, NULL) with nothing unveiled only locks. */
	CHECK(unveil(NULL, NULL), "ok");
	CHECK(unveil(dir2, "r"), "EPERM");
	CHECK_FD(open(file2, O_RDONLY), "ok");
}

static void
u_exec_x(void)
{
	char *argv[] = {path(helpers, "hello-static"), "quiet", NULL};
	MUST(unveil(argv[0], "x"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK_STATUS(run_prog(argv), "exit 0");
}

static void
u_exec_rw(void)
{
	char *argv[] = {path(helpers, "hello-static"), "quiet", NULL};
	MUST(unveil(argv[0], "rw"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK(execve(argv[0], argv, environ), "EACCES");
}

/* pledge(2) ---------------------------------------------------------- */

static void
p_empty(void)
{
	CHECK(pledge("", NULL), "ok");
	syscall(SYS_getpid); /* killed */
}

static void
p_empty_exit(void)
{
	CHECK(pledge("", NULL), "ok");
	_exit(0); /* exit_group is always allowed */
}

static void
p_inet(void)
{
	CHECK(pledge("inet", NULL), "ok");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	_exit(s < 0 ? 1 : 0);
}

static void
p_kill_inet(void)
{
	setpgid(0, 0);
	CHECK(pledge("inet", NULL), "ok");
	kill(0, SIGINT); /* killed: kill needs proc or stdio */
}

static void
p_kill_proc(void)
{
	setpgid(0, 0); /* kill(0, ...) must reach this process only */
	CHECK(pledge("proc", NULL), "ok");
	kill(0, SIGINT);
	_exit(0);
}

static void
p_stdio_calls(void)
{
	struct timespec ts;
	struct rlimit rl;
	struct timeval tv;
	struct itimerval it;
	CHECK(pledge("stdio", NULL), "ok");
	CHECK(clock_getres(CLOCK_MONOTONIC, &ts), "ok");
	CHECK(clock_gettime(CLOCK_MONOTONIC, &ts), "ok");
	CHECK(getitimer(ITIMER_REAL, &it), "ok");
	CHECK(getrlimit(RLIMIT_CORE, &rl), "ok");
	CHECK(gettimeofday(&tv, NULL), "ok");
	CHECK(getpgid(0), "ok");
	CHECK(getsid(0), "ok");
	CHECK(getgroups(0, NULL), "ok");
	if (getpid() <= 0 || getppid() <= 0 || getpgrp() <= 0)
		failures++;
	(void)getuid();
	(void)geteuid();
	(void)getgid();
	(void)getegid();
	(void)umask(0);
	void *m = malloc(1 << 20);
	free(m);
	_exit(failures ? 1 : 0);
}

static void
p_paths(void)
{
	char buf[64];
	CHECK(pledge("stdio rpath wpath cpath", NULL), "ok");
	int fd = open("/dev/zero", O_RDONLY);
	CHECK(fd < 0 ? -1 : (int)read(fd, buf, sizeof buf), "ok");
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	CHECK(fd < 0 ? -1 : (int)write(fd, buf, 5), "ok");
	close(fd);
	CHECK(mkdir(path(base, "generic-test-cpath"), 0700), "ok");
	CHECK(rmdir(path(base, "generic-test-cpath")), "ok");
	CHECK(pledge("stdio rpath", NULL), "ok");
	CHECK_FD(open("/dev/null", O_WRONLY), "ok");  /* a named path of every pledge */
	CHECK_FD(open(file1, O_WRONLY), "EACCES");    /* OpenBSD: killed; the path layer refuses it */
	CHECK(mkdir(path(base, "x"), 0700), "ok");    /* never reached: killed */
}

static void
p_reduce(void)
{
	CHECK(pledge("stdio rpath wpath", NULL), "ok");
	CHECK(pledge("stdio rpath wpath", NULL), "ok");
	CHECK(pledge("stdio rpath", NULL), "ok");
	CHECK(pledge("stdio rpath wpath", NULL), "EPERM");
	CHECK(pledge("unix", NULL), "EPERM");
	CHECK(pledge("stdio", NULL), "ok");
	CHECK(pledge("", NULL), "ok");
	_exit(failures ? 1 : 0); /* exit_group: always allowed */
}

static void
p_parse(void)
{
	char longp[1100];
	memset(longp, ' ', sizeof longp);
	memcpy(longp, "stdio", 5);
	longp[1024] = 0;
	CHECK(pledge(longp, NULL), "ENAMETOOLONG");
	longp[1023] = 0;
	CHECK(pledge("stdio bogus", NULL), "EINVAL");
	CHECK(pledge(" stdio", NULL), "EINVAL");
	CHECK(pledge("stdio\trpath", NULL), "EINVAL");
	CHECK(pledge("stdio", "bogus"), "EINVAL");
	CHECK(pledge(longp, NULL), "ok");
	CHECK(pledge("stdio  stdio ", NULL), "ok");
	CHECK(pledge(NULL, NULL), "ok");
	_exit(failures ? 1 : 0);
}

static void
p_error(void)
{
	CHECK(pledge("stdio rpath error", "stdio"), "ok");
	CHECK(socket(AF_INET, SOCK_STREAM, 0), "ENOSYS");
	CHECK_FD(open(file1, O_WRONLY), "EACCES"); /* OpenBSD: ENOSYS; the path layer refuses it */
	CHECK_FD(open(file1, O_RDONLY), "ok");
	/* Raising under "error" is dropped silently; execpromises may not
	 * grow even so. */
	CHECK(pledge("stdio rpath inet error", NULL), "ok");
	CHECK(socket(AF_INET, SOCK_STREAM, 0), "ENOSYS");
	CHECK(pledge(NULL, "stdio rpath"), "EPERM");
	CHECK(pledge("stdio", NULL), "ok");
	socket(AF_INET, SOCK_STREAM, 0); /* "error" dropped: killed */
}

static void
p_execpromises_reduce(void)
{
	CHECK(pledge("stdio", "stdio rpath"), "ok");
	CHECK(pledge(NULL, "stdio"), "ok");
	CHECK(pledge(NULL, "stdio rpath"), "EPERM");
	CHECK(pledge("stdio", NULL), "ok");
	_exit(failures ? 1 : 0);
}

static void
p_mmap(void)
{
	CHECK(pledge("stdio prot_exec", NULL), "ok");
	void *m = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m == MAP_FAILED ? -1 : 0, "ok");
	CHECK(pledge("stdio", NULL), "ok");
	CHECK(mprotect(m, 4096, PROT_READ), "ok");
	mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* killed */
}

static void
on_sigsys(int sig)
{
	static const char msg[] = "handler ran\n";
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(7);
	_exit(7);
}

static void
p_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigsys;
	sigaction(SIGSYS, &sa, 0);
	sigaction(SIGABRT, &sa, 0);
	CHECK(pledge("stdio", NULL), "ok");
	socket(AF_INET, SOCK_STREAM, 0); /* killed, no handler runs */
}

static void
privsep_child(void)
{
	CHECK(pledge("stdio", NULL), "ok");
	CHECK_FD(open(file1, O_RDONLY), "EACCES");
	socket(AF_INET, SOCK_STREAM, 0); /* killed */
}

static void
p_privsep(void)
{
	/* Fork first, then each side pledges and unveils its own way. */
	fflush(stdout);
	int p[2];
	MUST(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		char c;
		if (read(p[0], &c, 1) != 1)
			_exit(3);
		MUST(unveil(dir1, "r"));
		CHECK(unveil(NULL, NULL), "ok");
		CHECK_FD(open(file1, O_RDONLY), "EACCES");
		privsep_child();
	}
	close(p[0]);
	MUST(unveil(file1, "r"));
	CHECK(pledge("stdio rpath inet proc", NULL), "ok");
	MUST(write(p[1], "x", 1));
	int st;
	waitpid(pid, &st, 0);
	CHECK_STATUS(status(st), "SIGSYS");
	CHECK_FD(socket(AF_INET, SOCK_STREAM, 0), "ok");
	CHECK_FD(open(file1, O_RDONLY), "ok");
	CHECK_FD(open(file2, O_RDONLY), "EACCES");
	/* A child forked now is locked and keeps both. */
	CHECK_STATUS(child_status(p_kill_inet), "SIGSYS");
	_exit(failures ? 1 : 0);
}

static void
p_fork_inherits_body(void)
{
	CHECK(pledge("stdio inet", NULL), "EPERM");
	CHECK(pledge("stdio", NULL), "ok");
	socket(AF_INET, SOCK_STREAM, 0); /* killed */
}

static void
p_fork_inherits(void)
{
	CHECK(pledge("stdio proc", NULL), "ok");
	CHECK_STATUS(child_status(p_fork_inherits_body), "SIGSYS");
	_exit(failures ? 1 : 0);
}

/* Threads. */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int phase;

static void
wait_phase(int want)
{
	pthread_mutex_lock(&mu);
	while (phase < want)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void
set_phase(int p)
{
	pthread_mutex_lock(&mu);
	phase = p;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void *
second_pledges(void *arg)
{
	MUST(unveil(dir1, "r"));
	CHECK(pledge("stdio", NULL), "ok");
	set_phase(1);
	return arg;
}

static void
t_second_thread(void)
{
	pthread_t t;
	pthread_create(&t, 0, second_pledges, 0);
	wait_phase(1);
	pthread_join(t, 0);
	/* The main thread is covered by both. */
	CHECK_FD(open(file1, O_RDONLY), "EACCES");
	socket(AF_INET, SOCK_STREAM, 0); /* killed */
}

static int before_result[8];

static void *
early_thread(void *arg)
{
	long i = (long)arg;
	if (i % 2) {
		/* Threads that block every signal libc lets them block. */
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, 0);
	}
	wait_phase(1);
	int fd = open(file2, O_RDONLY);
	before_result[i] = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	set_phase(2 + (int)i);
	return arg;
}

static void
t_before_commit(void)
{
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], 0, early_thread, (void *)i);
	MUST(unveil(dir1, "r"));
	MUST(unveil(file1, "r"));
	CHECK(pledge("stdio rpath", NULL), "ok");
	set_phase(1);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], 0);
		check(__LINE__, "open on a thread made before the commit", before_result[i], "EACCES");
	}
	CHECK_FD(open(file1, O_RDONLY), "ok");
	_exit(failures ? 1 : 0);
}

static void *
thread_socket(void *arg)
{
	wait_phase(1);
	socket(AF_INET, SOCK_STREAM, 0); /* kills the whole process */
	return arg;
}

static void
t_before_pledge(void)
{
	pthread_t t;
	pthread_create(&t, 0, thread_socket, 0);
	CHECK(pledge("stdio", NULL), "ok");
	set_phase(1);
	pthread_join(t, 0);
	_exit(0);
}

/* Many threads keep opening a path inside and one outside the veil while
 * it is committed: none opens the outside one after the commit returned,
 * the inside one keeps working (compat_test's TestConcurrentCommit). */
static int committed;
static int escapes, denied, inside_failures, started;

static void *
busy(void *arg)
{
	int first = 1;
	for (int n = 0; n < 50;) {
		int was = __atomic_load_n(&committed, __ATOMIC_ACQUIRE);
		int fo = open(file2, O_RDONLY);
		int eo = errno;
		int fi = open(file1, O_RDONLY);
		if (fo >= 0)
			close(fo);
		if (fi >= 0)
			close(fi);
		if (first) {
			first = 0;
			__atomic_add_fetch(&started, 1, __ATOMIC_ACQ_REL);
		}
		if (!was)
			continue;
		n++;
		if (fo >= 0)
			__atomic_add_fetch(&escapes, 1, __ATOMIC_ACQ_REL);
		else if (eo == EACCES)
			__atomic_add_fetch(&denied, 1, __ATOMIC_ACQ_REL);
		if (fi < 0)
			__atomic_add_fetch(&inside_failures, 1, __ATOMIC_ACQ_REL);
	}
	return arg;
}

static void
t_concurrent(void)
{
	pthread_t t[16];
	for (int i = 0; i < 16; i++)
		pthread_create(&t[i], 0, busy, 0);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < 16)
		sched_yield();
	MUST(unveil(file1, "r"));
	CHECK(pledge("stdio rpath", NULL), "ok");
	__atomic_store_n(&committed, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], 0);
	check(__LINE__, "escapes", escapes, "ok");
	check(__LINE__, "inside failures", inside_failures, "ok");
	if (denied != 16 * 50) {
		printf("FAIL line %d: denied %d of %d\n", __LINE__, denied, 16 * 50);
		failures++;
	}
	_exit(failures ? 1 : 0);
}

static void *
idle_thread(void *arg)
{
	/* pause returns after the library's signal 33 (a layer's round). */
	for (;;)
		pause();
	return arg;
}

static void
t_commit_without_stdio(void)
{
	/* Without "stdio" the library cannot signal the other threads
	 * (rt_sigaction, rt_tgsigqueueinfo): the commit fails with EPERM, not
	 * a kill. Nothing can be printed without stdio: the exit status says. */
	pthread_t t;
	pthread_create(&t, 0, idle_thread, 0);
	MUST(unveil(dir1, "r"));
	CHECK(pledge("rpath unveil", NULL), "ok");
	int r = unveil(NULL, NULL);
	_exit(r == -1 && errno == EPERM ? 0 : 10 + (r == -1 ? errno : 0));
}

static void
t_commit_without_stdio_one_thread(void)
{
	MUST(unveil(dir1, "r"));
	CHECK(pledge("rpath unveil", NULL), "ok");
	if (unveil(NULL, NULL) == -1)
		_exit(10 + errno);
	int fd = open(file2, O_RDONLY);
	_exit(fd == -1 && errno == EACCES ? 0 : 20);
}

/* exec ---------------------------------------------------------------- */

/* run_hello runs "hello-dyn" or "hello-static", "... quiet" for no socket. */
static void
run_hello(const char *which, const char *want)
{
	char name[64];
	snprintf(name, sizeof name, "%s", which);
	char *quiet = strchr(name, ' ');
	if (quiet)
		*quiet++ = 0;
	char *argv[] = {path(helpers, name), quiet, NULL};
	const char *got = run_prog(argv);
	if (strcmp(got, want) != 0) {
		printf("FAIL exec %s: ended with %s, want %s\n", which, got, want);
		failures++;
	}
}

static void
supervised(int want)
{
	struct landpledge_state st;
	landpledge_state(&st);
	if ((st.exec_supervisor != 0) != want) {
		printf("FAIL: exec supervisor %d, want %s\n", st.exec_supervisor, want ? "one" : "none");
		failures++;
	}
}

static void
x_no_execpromises(void)
{
	/* Exec'd programs run unpledged, as on OpenBSD: the supervisor
	 * starts them fresh, outside this process's filters. */
	CHECK(pledge("stdio rpath proc exec", NULL), "ok");
	supervised(1);
	run_hello("hello-dyn quiet", "exit 0");
	run_hello("hello-static quiet", "exit 0");
	run_hello("hello-dyn", "exit 0");
	run_hello("hello-static", "exit 0");
	_exit(failures ? 1 : 0);
}

static void
x_execpromises(void)
{
	CHECK(pledge("stdio rpath inet proc exec", "stdio rpath inet"), "ok");
	run_hello("hello-dyn", "exit 0");
	run_hello("hello-static", "exit 0");
	CHECK(pledge(NULL, "stdio rpath"), "ok");
	run_hello("hello-dyn", "SIGSYS");
	run_hello("hello-static", "SIGSYS");
	CHECK(socket(AF_INET, SOCK_DGRAM, 0) < 0 ? -1 : 0, "ok"); /* this process keeps inet */
	_exit(failures ? 1 : 0);
}

static void
x_execpromises_first(void)
{
	/* pledge(NULL, e) before any pledge stores e for later execs. */
	CHECK(pledge(NULL, "stdio rpath"), "ok");
	supervised(0);
	CHECK(pledge("stdio rpath inet proc exec", NULL), "ok");
	supervised(1);
	run_hello("hello-dyn", "SIGSYS");
	_exit(failures ? 1 : 0);
}

static void
x_supervisor_is_a_child(void)
{
	/* The exec supervisor is this process's child (it must be: it
	 * attaches to its parent only): waiting for any child sees it. It
	 * stays in this session (the images it starts join their callers'
	 * process groups) in a process group of its own (out of the reach
	 * of a terminal's signals to ours). */
	pid_t sid = getsid(0), pgrp = getpgrp();
	CHECK(pledge("stdio proc exec", NULL), "ok");
	struct landpledge_state ls;
	landpledge_state(&ls);
	for (int i = 0; i < 200 && getpgid(ls.exec_supervisor) == pgrp; i++)
		usleep(5000); /* it takes its group once it runs */
	if (getsid(ls.exec_supervisor) != sid || getpgid(ls.exec_supervisor) != ls.exec_supervisor) {
		printf("FAIL: supervisor %d: session %d (want %d), group %d (want its own)\n", ls.exec_supervisor,
		    (int)getsid(ls.exec_supervisor), (int)sid, (int)getpgid(ls.exec_supervisor));
		failures++;
	}
	int st;
	CHECK(waitpid(-1, &st, WNOHANG), "ok"); /* 0: a child, still running */
	CHECK(pledge("stdio proc", NULL), "ok");
	CHECK(waitpid(-1, &st, WNOHANG), "ok");
	_exit(failures ? 1 : 0);
}

static void
x_no_exec(void)
{
	CHECK(pledge("stdio proc", "stdio"), "ok");
	supervised(0);
	run_hello("hello-static quiet", "SIGSYS"); /* the child's execve */
	_exit(failures ? 1 : 0);
}

static void
x_no_supervisor(void)
{
	/* The helper is missing: "exec" is dropped, the rest enforced, and
	 * the call says so. */
	setenv("LANDPLEDGE_SUPERVISOR", "/nonexistent/landpledge-supervisor", 1);
	CHECK(pledge("stdio proc exec", "stdio"), "ENOTSUP");
	struct landpledge_state st;
	landpledge_state(&st);
	if (strcmp(st.promises, "stdio proc") != 0 || st.not_enforced_errno != ENOENT || !strstr(st.not_enforced, "\"exec\" dropped")) {
		printf("FAIL: state %s / %d / %s\n", st.promises, st.not_enforced_errno, st.not_enforced);
		failures++;
	}
	supervised(0);
	run_hello("hello-static", "SIGSYS");
	_exit(failures ? 1 : 0);
}

static void
x_best_effort(void)
{
	setenv("LANDPLEDGE_SUPERVISOR", "/nonexistent/landpledge-supervisor", 1);
	setenv("LANDPLEDGE_BEST_EFFORT", "1", 1);
	CHECK(pledge("stdio rpath proc exec", "stdio"), "ok");
	struct landpledge_state st;
	landpledge_state(&st);
	if (strcmp(st.promises, "stdio rpath proc exec") != 0 || st.exec_errno != ENOENT) {
		printf("FAIL: state %s / exec_errno %d\n", st.promises, st.exec_errno);
		failures++;
	}
	/* Without the supervisor there is no loader window: a static program
	 * runs under the promises, a dynamic one cannot map its libraries. */
	run_hello("hello-static quiet", "exit 0");
	run_hello("hello-dyn quiet", "SIGSYS"); /* its loader maps libc as code */
	_exit(failures ? 1 : 0);
}

static void
x_veil_first(void)
{
	/* The veil is enforced before the supervisor could start and does
	 * not let the helper run: fail closed. */
	MUST(unveil(dir1, "r"));
	CHECK(unveil(NULL, NULL), "ok");
	CHECK(pledge("stdio proc exec", "stdio"), "ENOTSUP");
	struct landpledge_state st;
	landpledge_state(&st);
	if (strcmp(st.promises, "stdio proc") != 0 || st.not_enforced_errno != EACCES) {
		printf("FAIL: state %s / %d / %s\n", st.promises, st.not_enforced_errno, st.not_enforced);
		failures++;
	}
	_exit(failures ? 1 : 0);
}

static void
x_forked_child_body(void)
{
	/* A forked child re-pledges; the parent's supervisor still traces
	 * it and gives its exec'd images the parent's execpromises, exactly
	 * (inet included, which the child gave up). */
	CHECK(pledge("stdio rpath proc exec", NULL), "ok");
	run_hello("hello-static quiet", "exit 0");
	run_hello("hello-static", "exit 0");
	CHECK(pledge("stdio rpath proc exec", "stdio rpath"), "ENOTSUP");
	_exit(failures ? 1 : 0);
}

static void
x_forked_child(void)
{
	CHECK(pledge("stdio rpath inet proc exec prot_exec", "stdio rpath inet"), "ok");
	CHECK_STATUS(child_status(x_forked_child_body), "exit 0");
	run_hello("hello-dyn", "exit 0");
	_exit(failures ? 1 : 0);
}

/* run_named runs this program again, -named mode want. */
static void
run_named(const char *mode, const char *want)
{
	char self[700];
	snprintf(self, sizeof self, "%s/regress", helpers);
	char *argv[] = {self, "-named", (char *)mode, (char *)want, NULL};
	CHECK_STATUS(run_prog(argv), "exit 0");
}

static void
want_promises(int line, const char *promises, int not_enforced_errno)
{
	struct landpledge_state st;
	landpledge_state(&st);
	if (strcmp(st.promises, promises) != 0 || st.not_enforced_errno != not_enforced_errno) {
		printf("FAIL line %d: promises \"%s\" (%d: %s), want \"%s\" (%d)\n", line, st.promises,
		    st.not_enforced_errno, st.not_enforced, promises, not_enforced_errno);
		failures++;
	}
}

/* interp_of_self: this program's PT_INTERP, the ELF interpreter. */
static int
interp_cb(struct dl_phdr_info *info, size_t size, void *out)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_INTERP) {
			*(const char **)out = (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
			return 1;
		}
	return 1; /* only the first object: this program */
}

static const char *
interp_of_self(void)
{
	const char *interp = 0;
	dl_iterate_phdr(interp_cb, &interp);
	return interp;
}

/* The images exec'd with execpromises keep the veil: the supervisor,
 * which starts them, is sent it before it is enforced. The exec'ing
 * process's own execve needs x on the ELF interpreter (Landlock checks
 * EXECUTE where OpenBSD's exec checks r), its image's libraries are its
 * loader's. Control: without the veil the same image reads
 * /etc/hostname. */
static void
x_veil_kept_body(void)
{
	MUST(unveil(helpers, "rx"));
	MUST(unveil(interp_of_self(), "rx"));
	CHECK(pledge("stdio rpath proc exec", "stdio rpath"), "ok");
	run_named("hostname", "EACCES");
	_exit(failures ? 1 : 0);
}

/* Without x on the interpreter the exec'ing process's execve fails with
 * EACCES (OpenBSD: it needs r on ld.so, which "rx" on the directory of
 * the program does not give either). */
static void
x_veil_no_interp(void)
{
	MUST(unveil(helpers, "rx"));
	CHECK(pledge("stdio rpath proc exec", "stdio rpath"), "ok");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		char self[700];
		snprintf(self, sizeof self, "%s/regress", helpers);
		char *argv[] = {self, "-named", "hostname", "EACCES", NULL};
		execve(self, argv, environ);
		_exit(errno == EACCES ? 0 : 1);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK_STATUS(status(st), "exit 0");
	_exit(failures ? 1 : 0);
}

static void
x_veil_kept_control(void)
{
	CHECK(pledge("stdio rpath proc exec", "stdio rpath"), "ok");
	run_named("hostname", "ok");
	_exit(failures ? 1 : 0);
}

static void
x_veil_kept(void)
{
	CHECK_STATUS(child_status(x_veil_kept_body), "exit 0");
	CHECK_STATUS(child_status(x_veil_no_interp), "exit 0");
	CHECK_STATUS(child_status(x_veil_kept_control), "exit 0");
	_exit(failures ? 1 : 0);
}

/* A forked child cannot tell its parent's supervisor of its veil, which
 * would start the child's images with execpromises under the veil it
 * knows (none here): the child's "exec" goes, whether the veil is
 * enforced by unveil(NULL, NULL) or by its pledge. Control: a forked
 * child without a veil of its own keeps "exec", and its image is not
 * veiled. */
static void
x_forked_veil_commit(void)
{
	MUST(unveil(helpers, "rx"));
	CHECK(unveil(NULL, NULL), "ok");
	want_promises(__LINE__, "stdio rpath proc unveil", EPERM);
	run_hello("hello-static quiet", "SIGSYS"); /* the child's execve */
	_exit(failures ? 1 : 0);
}

static void
x_forked_veil_pledge(void)
{
	MUST(unveil(helpers, "rx"));
	CHECK(pledge("stdio rpath proc exec", NULL), "ENOTSUP");
	want_promises(__LINE__, "stdio rpath proc", EPERM);
	_exit(failures ? 1 : 0);
}

static void
x_forked_veil_control(void)
{
	CHECK(pledge("stdio rpath proc exec", NULL), "ok");
	run_named("hostname", "ok");
	_exit(failures ? 1 : 0);
}

static void
x_forked_child_veil(void)
{
	CHECK(pledge("stdio rpath proc exec unveil", "stdio rpath"), "ok");
	CHECK_STATUS(child_status(x_forked_veil_commit), "exit 0");
	CHECK_STATUS(child_status(x_forked_veil_pledge), "exit 0");
	CHECK_STATUS(child_status(x_forked_veil_control), "exit 0");
	_exit(failures ? 1 : 0);
}

/* The environment switches. */

static void
e_errno(void)
{
	setenv("LANDPLEDGE_ERRNO", "eperm", 1);
	CHECK(pledge("stdio", NULL), "ok");
	CHECK(socket(AF_INET, SOCK_STREAM, 0), "EPERM");
	CHECK(syscall(435 /* clone3 */, 0, 0), "ENOSYS"); /* ENOSYS stays */
	_exit(failures ? 1 : 0);
}

static void
e_errno_bad(void)
{
	setenv("LANDPLEDGE_ERRNO", "EBOGUS", 1);
	CHECK(pledge("stdio", NULL), "EINVAL");
	socket(AF_INET, SOCK_STREAM, 0); /* not pledged */
	_exit(failures ? 1 : 0);
}

static void
e_log(void)
{
	setenv("LANDPLEDGE_LOG", "1", 1);
	CHECK(pledge("stdio error", NULL), "ok");
	CHECK(socket(AF_INET, SOCK_STREAM, 0), "ENOSYS");
	CHECK(pledge("stdio", NULL), "ok");
	socket(AF_INET, SOCK_STREAM, 0); /* killed, and logged */
}

/* no_landlock makes landlock_create_ruleset fail with ENOSYS from now on,
 * as on a kernel without Landlock (a filter of our own, before libpledge
 * asks for the ABI). */
static void
no_landlock(void)
{
	struct sock_filter_ {
		unsigned short code;
		unsigned char jt, jf;
		unsigned int k;
	} prog[] = {
		{0x20, 0, 0, 0},                     /* ld nr */
		{0x15, 0, 1, SYS_landlock_create_ruleset}, /* jeq */
		{0x06, 0, 0, 0x50000 | ENOSYS},      /* ret ERRNO(ENOSYS) */
		{0x06, 0, 0, 0x7fff0000},            /* ret ALLOW */
	};
	struct {
		unsigned short len;
		void *filter;
	} fprog = {4, prog};
	MUST(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	MUST(syscall(SYS_seccomp, 1, 0, &fprog));
}

static void
e_no_landlock(void)
{
	no_landlock();
	CHECK(unveil(dir1, "r"), "ENOSYS");
	CHECK(unveil(NULL, NULL), "ok"); /* nothing unveiled: only locks */
	CHECK(unveil(dir1, "r"), "EPERM");
	CHECK(pledge("stdio rpath", NULL), "ok");
	struct landpledge_state st;
	landpledge_state(&st);
	if (st.landlock_abi != 0 || st.veil_enforced || !st.veil_locked) {
		printf("FAIL: abi %d enforced %d locked %d\n", st.landlock_abi, st.veil_enforced, st.veil_locked);
		failures++;
	}
	/* No path layer: the flags decide opens, and the state says why. */
	if (st.path_layer || st.layers || st.path_errno != ENOSYS || !strstr(st.path_err, "no Landlock")) {
		printf("FAIL: path_layer %d layers %d path_errno %s (%s)\n", st.path_layer, st.layers, errname(st.path_errno), st.path_err);
		failures++;
	}
	CHECK_FD(open("/dev/null", O_WRONLY), "EACCES"); /* no wpath: the flags */
	CHECK_FD(open(file2, O_RDONLY), "ok");
	_exit(failures ? 1 : 0);
}

static void
e_best_effort_no_landlock(void)
{
	setenv("LANDPLEDGE_BEST_EFFORT", "1", 1);
	no_landlock();
	CHECK(unveil(dir1, "r"), "ok");
	CHECK(pledge("stdio rpath", NULL), "ok"); /* commits nothing */
	struct landpledge_state st;
	landpledge_state(&st);
	if (st.veil_enforced || !st.veil_locked) {
		printf("FAIL: enforced %d locked %d\n", st.veil_enforced, st.veil_locked);
		failures++;
	}
	CHECK_FD(open(file2, O_RDONLY), "ok");
	_exit(failures ? 1 : 0);
}

/* Path promises (pledge/paths_test.go): OpenBSD's named paths open by
 * name under a path layer, everything else the flags let through fails
 * with EACCES by path, and a creating open without cpath or tmppath still
 * kills. */

/* want_layers checks landpledge_state's path layer and layer count. */
static void
want_layers(int line, int path_layer, int layers)
{
	struct landpledge_state st;
	landpledge_state(&st);
	if (st.path_layer != path_layer || st.layers != layers || (st.path_errno == 0) != (st.path_err[0] == 0)) {
		printf("FAIL line %d: path_layer %d layers %d (%s: %s), want %d and %d\n", line, st.path_layer,
		    st.layers, errname(st.path_errno), st.path_err, path_layer, layers);
		failures++;
	}
}

/* named_result does what mode names as libc does and gives the result:
 * "ok", an errno name, or what it found. */
static const char *
named_result(const char *mode)
{
	static char buf[64];
	if (strcmp(mode, "devnull") == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0)
			close(fd);
		return errname(fd < 0 ? errno : 0);
	}
	if (strcmp(mode, "localtime") == 0) {
		/* tzset reads /usr/share/zoneinfo/Europe/Berlin; a failure
		 * leaves UTC (glibc names it "Europe"). */
		time_t winter = 1704067200; /* 2024-01-01 00:00 UTC */
		setenv("TZ", "Europe/Berlin", 1);
		tzset();
		strftime(buf, sizeof buf, "%Z%H", localtime(&winter));
		return buf;
	}
	if (strcmp(mode, "getpwnam") == 0) {
		struct passwd *pw = getpwnam("root");
		return pw && pw->pw_uid == 0 ? "ok" : "missing";
	}
	if (strcmp(mode, "hosts") == 0) {
		struct addrinfo hints = {.ai_family = AF_INET}, *res;
		int e = getaddrinfo("localhost", NULL, &hints, &res);
		if (e != 0)
			return gai_strerror(e);
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, buf, sizeof buf);
		return buf;
	}
	if (strcmp(mode, "hostname") == 0) {
		int fd = open("/etc/hostname", O_RDONLY);
		if (fd >= 0)
			close(fd);
		return errname(fd < 0 ? errno : 0);
	}
	if (strcmp(mode, "shadow") == 0) {
		int fd = open("/etc/shadow", O_RDONLY);
		if (fd >= 0)
			close(fd);
		return errname(fd < 0 ? errno : 0);
	}
	return "no such mode";
}

static void
check_named(const char *mode, const char *want)
{
	const char *got = named_result(mode);
	if (strcmp(got, want) != 0) {
		printf("FAIL %s: got %s, want %s\n", mode, got, want);
		failures++;
	}
}

/* TestNamedPathsStdio: under stdio alone /dev/null opens for reading,
 * writing and both; other files fail with EACCES (OpenBSD kills); a
 * creating open kills, or returns ENOSYS under "error". */
static void
pl_named_stdio(const char *promises)
{
	CHECK(pledge(promises, NULL), "ok");
	want_layers(__LINE__, 1, 1);
	CHECK_FD(open("/dev/null", O_RDONLY), "ok");
	CHECK_FD(open("/dev/null", O_WRONLY), "ok");
	CHECK_FD(open("/dev/null", O_RDWR), "ok");
	CHECK_FD(open(file1, O_RDONLY), "EACCES");
	CHECK_FD(open("/etc/hostname", O_RDONLY), "EACCES");
}

static void
pl_named_stdio_kill(void)
{
	pl_named_stdio("stdio");
	open(path(base, "new"), O_WRONLY | O_CREAT, 0600); /* killed */
}

static void
pl_named_stdio_error(void)
{
	pl_named_stdio("stdio error");
	CHECK_FD(open(path(base, "new"), O_WRONLY | O_CREAT, 0600), "ENOSYS");
	_exit(failures ? 1 : 0);
}

/* TestNamedPathsC, in the pledged process: glibc's localtime, getpwnam
 * and getaddrinfo, and /dev/null, under the promises that name their
 * files. */
static void
pl_named(const char *promises, const char *mode, const char *want)
{
	CHECK(pledge(promises, NULL), "ok");
	check_named(mode, want);
	_exit(failures ? 1 : 0);
}

static void pl_named_devnull(void) { pl_named("stdio", "devnull", "ok"); }
static void pl_named_localtime(void) { pl_named("stdio", "localtime", "CET01"); }
static void pl_named_getpwnam(void) { pl_named("stdio getpw", "getpwnam", "ok"); }
static void pl_named_hosts(void) { pl_named("stdio dns", "hosts", "127.0.0.1"); }
static void pl_named_shadow(void) { pl_named("stdio getpw", "shadow", "EACCES"); }
/* Without the promise: glibc's first stat of nsswitch.conf kills, as
 * OpenBSD kills the open of pwd.db. */
static void pl_named_getpwnam_without(void) { pl_named("stdio", "getpwnam", "SIGSYS"); }

/* The same in a program exec'd under them as execpromises (this one
 * again, -named): the layers' reads are the supervisor's then, which
 * builds the image's path layer itself. */
static void
pl_named_exec(const char *execpromises, const char *mode, const char *want)
{
	char promises[256];
	snprintf(promises, sizeof promises, "%s exec", execpromises);
	CHECK(pledge(promises, execpromises), "ok");
	char self[700];
	snprintf(self, sizeof self, "%s/regress", helpers);
	char *argv[] = {self, "-named", (char *)mode, (char *)want, NULL};
	execve(self, argv, environ);
	printf("FAIL execve %s: %s\n", self, strerror(errno));
	_exit(1);
}

static void pl_exec_devnull(void) { pl_named_exec("stdio", "devnull", "ok"); }
static void pl_exec_localtime(void) { pl_named_exec("stdio", "localtime", "CET01"); }
static void pl_exec_getpwnam(void) { pl_named_exec("stdio getpw", "getpwnam", "ok"); }
static void pl_exec_hosts(void) { pl_named_exec("stdio dns", "hosts", "127.0.0.1"); }
static void pl_exec_shadow(void) { pl_named_exec("stdio getpw", "shadow", "EACCES"); }
static void pl_exec_getpwnam_without(void) { pl_named_exec("stdio", "getpwnam", "SIGSYS"); }

/* TestTmppath: tmppath creates, writes, reads and unlinks files in /tmp
 * and its subdirectories; it cannot read /etc/hostname, create or write
 * outside /tmp, or make a directory (cpath). */
static void
pl_tmppath(void)
{
	char existing[700];
	snprintf(existing, sizeof existing, "%s/existing", outside);
	MUST(mkdir(outside, 0755));
	touch(existing);
	MUST(mkdir(tmpsub, 0777));
	MUST(chmod(tmpsub, 0777));
	CHECK(pledge("stdio tmppath error", NULL), "ok");
	const char *dirs[] = {"/tmp", tmpsub};
	for (int i = 0; i < 2; i++) {
		char name[700];
		snprintf(name, sizeof name, "%s/f%d", dirs[i], (int)getpid());
		CHECK_FD(open(name, O_RDWR | O_CREAT | O_EXCL, 0600), "ok");
		CHECK_FD(open(name, O_WRONLY), "ok");
		CHECK_FD(open(name, O_RDONLY), "ok");
		CHECK(unlink(name), "ok");
	}
	CHECK_FD(open("/etc/hostname", O_RDONLY), "EACCES");
	CHECK_FD(open(path(outside, "new"), O_RDWR | O_CREAT | O_EXCL, 0600), "EACCES");
	CHECK_FD(open(existing, O_WRONLY), "EACCES");
	CHECK(unlink(existing), "EACCES");
	char d[64];
	snprintf(d, sizeof d, "/tmp/d%d", (int)getpid());
	CHECK(mkdir(d, 0700), "ENOSYS");
	_exit(failures ? 1 : 0);
}

/* TestPathLayerStacking: each pledge that narrows the path rights stacks
 * one layer; one that changes no path right adds none. libpledge reaches
 * every thread itself (signal 33), so a later layer needs no more than
 * the promises in force allow for that (see pl_unreached). */
static void
pl_stacking(void)
{
	static const char *steps[] = {"stdio rpath wpath inet", "stdio rpath wpath", "stdio rpath", "stdio"};
	static const int layers[] = {1, 1, 2, 3};
	static const char *reads[] = {"ok", "ok", "ok", "EACCES"};
	static const char *writes[] = {"ok", "ok", "EACCES", "EACCES"};
	for (int i = 0; i < 4; i++) {
		CHECK(pledge(steps[i], NULL), "ok");
		want_layers(__LINE__, 1, layers[i]);
		check(__LINE__, steps[i], RET(open(file1, O_RDONLY)), reads[i]);
		check(__LINE__, steps[i], RET(open(file1, O_WRONLY)), writes[i]);
	}
	_exit(failures ? 1 : 0);
}

static void
pl_stacking_threads(void)
{
	pthread_t t;
	pthread_create(&t, 0, idle_thread, 0);
	pl_stacking();
}

/* The same under the exec supervisor, which traces every thread: the
 * layers' signal 33 reaches them through it. */
static void
pl_stacking_supervised(void)
{
	pthread_t t;
	pthread_create(&t, 0, idle_thread, 0);
	CHECK(pledge("stdio rpath wpath proc exec", NULL), "ok");
	want_layers(__LINE__, 1, 1);
	supervised(1);
	CHECK(pledge("stdio rpath proc exec", NULL), "ok");
	want_layers(__LINE__, 1, 2);
	CHECK_FD(open(file1, O_WRONLY), "EACCES");
	CHECK_FD(open(file1, O_RDONLY), "ok");
	_exit(failures ? 1 : 0);
}

/* Under "stdio" alone the library can count its threads (a stat) but not
 * list them (getdents64 is rpath's): one thread, and a later layer is
 * stacked; two, and the flags decide the later pledge's opens, which the
 * state says (Go's cgo builds before ABI 8 answer so for any later layer
 * without "unveil"). */
static void
pl_later_one_thread(void)
{
	CHECK(pledge("stdio tty", NULL), "ok");
	CHECK(pledge("stdio", NULL), "ok"); /* /dev/tty is tty's */
	want_layers(__LINE__, 1, 2);
	CHECK_FD(open("/dev/null", O_WRONLY), "ok");
	_exit(failures ? 1 : 0);
}

static void
pl_unreached(void)
{
	pthread_t t;
	pthread_create(&t, 0, idle_thread, 0);
	CHECK(pledge("stdio tty", NULL), "ok");
	CHECK(pledge("stdio", NULL), "ok");
	want_layers(__LINE__, 0, 1);
	struct landpledge_state st;
	landpledge_state(&st);
	check(__LINE__, "path_errno", st.path_errno, "EPERM");
	CHECK_FD(open("/dev/null", O_WRONLY), "EACCES"); /* the flags: no wpath */
	CHECK_FD(open(file1, O_RDONLY), "EACCES");
	_exit(failures ? 1 : 0);
}

/* A program that closes every descriptor after a pledge (closefrom)
 * closes the library's named files too: a later layer must not put their
 * rights on whatever the numbers were reused for (here a directory of
 * the fixture): it goes without them. */
static void
pl_named_fds_closed(void)
{
	touch(path(dir1, "f"));
	CHECK(pledge("stdio rpath", NULL), "ok");
	CHECK(syscall(SYS_close_range, 3, ~0u, 0), "ok");
	for (int i = 0; i < 32; i++)
		open(dir1, O_RDONLY | O_DIRECTORY);
	CHECK(pledge("stdio", NULL), "ok");
	want_layers(__LINE__, 1, 2);
	CHECK_FD(open(path(dir1, "f"), O_RDONLY), "EACCES");
	CHECK_DIR(dir1, "EACCES");
	CHECK_FD(open("/dev/null", O_WRONLY), "EACCES"); /* its rule went with it */
	_exit(failures ? 1 : 0);
}

/* TestNamedPathsBypassVeil: the named paths of the pledge that commits the
 * veil work although the veil does not name them; everything else keeps
 * the veil's rules. With unveil(NULL, NULL) before the pledge they do not
 * bypass it. */
static void
pl_bypass_veil(int block)
{
	touch(path(dir1, "f"));
	MUST(unveil(dir1, "r"));
	if (block)
		MUST(unveil(NULL, NULL));
	CHECK(pledge("stdio rpath error", NULL), "ok");
	CHECK_FD(open("/dev/null", O_WRONLY), block ? "EACCES" : "ok");
	CHECK_FD(open(path(dir1, "f"), O_RDONLY), "ok");
	CHECK_FD(open("/etc/hostname", O_RDONLY), "EACCES");
	const char *zone = named_result("localtime");
	if ((strcmp(zone, "CET01") == 0) == block) {
		printf("FAIL: the zone is %s with the veil committed %s\n", zone, block ? "first" : "by the pledge");
		failures++;
	}
	_exit(failures ? 1 : 0);
}

static void pl_bypass_veil_pledge(void) { pl_bypass_veil(0); }
static void pl_bypass_veil_block_first(void) { pl_bypass_veil(1); }

/* TestUnveilAfterPledge: obsdpkgup's sequence (a pledge keeping "unveil",
 * unveils, and no unveil(NULL, NULL)): the veil is not enforced, which one
 * line on stderr says at the first such unveil; with
 * LANDPLEDGE_UNVEIL_STRICT=1 that unveil fails with EPERM instead. */
static void
pl_unveil_after_pledge(int strict)
{
	if (strict)
		setenv("LANDPLEDGE_UNVEIL_STRICT", "1", 1);
	/* stderr to a pipe that never blocks: the exec supervisor, started
	 * by the pledge, holds its write end too. */
	int errp[2];
	MUST(pipe2(errp, O_NONBLOCK));
	MUST(dup2(errp[1], 2));
	close(errp[1]);
	CHECK(pledge("stdio unveil rpath wpath cpath flock dns inet tty proc exec", NULL), "ok");
	const char *paths[] = {"/etc/ssl", "/etc/resolv.conf", dir1, "/usr/share/zoneinfo", "/etc/localtime", "/tmp", "/sbin/sysctl"};
	for (int i = 0; i < 7; i++)
		check(__LINE__, paths[i], RET(unveil(paths[i], "r")), strict ? "EPERM" : "ok");
	CHECK_FD(open(file2, O_RDONLY), "ok"); /* not enforced */
	char buf[4096];
	ssize_t n = read(errp[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	int lines = 0;
	for (char *p = buf; (p = strstr(p, "is not enforced until unveil(NULL, NULL)")); p++)
		lines++;
	if (lines != !strict) {
		printf("FAIL: %d lines saying the veil is not enforced, want %d: %s\n", lines, !strict, buf);
		failures++;
	}
	_exit(failures ? 1 : 0);
}

static void pl_unveil_after(void) { pl_unveil_after_pledge(0); }
static void pl_unveil_after_strict(void) { pl_unveil_after_pledge(1); }

static const struct lpl_case cases[] = {
    {"unveil/open", u_open, "exit 0"},
    {"unveil/opendir", u_opendir, "exit 0"},
    {"unveil/hide", u_hide, "exit 0"},
    {"unveil/noflags", u_noflags, "exit 0"},
    {"unveil/after-pledge", u_unveil_after_pledge, "exit 0"},
    {"unveil/r", u_r, "exit 0"},
    {"unveil/rw", u_rw, "exit 0"},
    {"unveil/x", u_x, "exit 0"},
    {"unveil/unlink", u_unlink, "exit 0"},
    {"unveil/link", u_link, "exit 0"},
    {"unveil/chdir", u_chdir, "exit 0"},
    {"unveil/fchdir", u_fchdir, "exit 0"},
    {"unveil/parent-dir", u_parent_dir, "exit 0"},
    {"unveil/rename", u_rename, "exit 0"},
    {"unveil/rename-between", u_rename_between, "exit 0"},
    {"unveil/access-stat", u_access_stat, "exit 0"},
    {"unveil/symlink", u_symlink, "exit 0"},
    {"unveil/chmod", u_chmod, "SIGSYS"},
    {"unveil/fork", u_fork, "exit 0"},
    {"unveil/fork-before-commit", u_fork_before_commit, "exit 0"},
    {"unveil/slash", u_slash, "exit 0"},
    {"unveil/dot", u_dot, "exit 0"},
    {"unveil/dotdotup", u_dotdotup, "exit 0"},
    {"unveil/kn", u_kn, "exit 0"},
    {"unveil/missing-name", u_missing_name, "exit 0"},
    {"unveil/exposure", u_exposure, "exit 0"},
    {"unveil/replace", u_replace, "exit 0"},
    {"unveil/narrow", u_narrow, "exit 0"},
    {"unveil/errors", u_errors, "exit 0"},
    {"unveil/exec-x", u_exec_x, "exit 0"},
    {"unveil/exec-rw", u_exec_rw, "exit 0"},
    {"pledge/empty", p_empty, "SIGSYS"},
    {"pledge/empty-exit", p_empty_exit, "exit 0"},
    {"pledge/inet", p_inet, "exit 0"},
    {"pledge/kill-inet", p_kill_inet, "SIGSYS"},
    {"pledge/kill-proc", p_kill_proc, "SIGINT"},
    {"pledge/stdio-calls", p_stdio_calls, "exit 0"},
    {"pledge/paths", p_paths, "SIGSYS"},
    {"pledge/reduce", p_reduce, "exit 0"},
    {"pledge/parse", p_parse, "exit 0"},
    {"pledge/error", p_error, "SIGSYS"},
    {"pledge/execpromises-reduce", p_execpromises_reduce, "exit 0"},
    {"pledge/mmap", p_mmap, "SIGSYS"},
    {"pledge/handler", p_handler, "SIGSYS"},
    {"pledge/privsep", p_privsep, "exit 0"},
    {"pledge/fork-inherits", p_fork_inherits, "exit 0"},
    {"thread/second-thread-pledges", t_second_thread, "SIGSYS"},
    {"thread/before-commit", t_before_commit, "exit 0"},
    {"thread/before-pledge", t_before_pledge, "SIGSYS"},
    {"thread/concurrent-commit", t_concurrent, "exit 0"},
    {"thread/commit-without-stdio", t_commit_without_stdio, "exit 0"},
    {"thread/commit-without-stdio-one-thread", t_commit_without_stdio_one_thread, "exit 0"},
    {"exec/no-execpromises", x_no_execpromises, "exit 0"},
    {"exec/execpromises", x_execpromises, "exit 0"},
    {"exec/execpromises-first", x_execpromises_first, "exit 0"},
    {"exec/no-exec", x_no_exec, "exit 0"},
    {"exec/supervisor-is-a-child", x_supervisor_is_a_child, "exit 0"},
    {"exec/no-supervisor", x_no_supervisor, "exit 0"},
    {"exec/best-effort", x_best_effort, "exit 0"},
    {"exec/veil-first", x_veil_first, "exit 0"},
    {"exec/forked-child", x_forked_child, "exit 0"},
    {"exec/veil-kept", x_veil_kept, "exit 0"},
    {"exec/forked-child-veil", x_forked_child_veil, "exit 0"},
    {"env/errno", e_errno, "exit 0"},
    {"env/errno-bad", e_errno_bad, "exit 0"},
    {"env/log", e_log, "SIGSYS"},
    {"env/no-landlock", e_no_landlock, "exit 0"},
    {"env/best-effort-no-landlock", e_best_effort_no_landlock, "exit 0"},
    {"paths/named-stdio", pl_named_stdio_kill, "SIGSYS"},
    {"paths/named-stdio-error", pl_named_stdio_error, "exit 0"},
    {"paths/named/devnull", pl_named_devnull, "exit 0"},
    {"paths/named/localtime", pl_named_localtime, "exit 0"},
    {"paths/named/getpwnam", pl_named_getpwnam, "exit 0"},
    {"paths/named/hosts", pl_named_hosts, "exit 0"},
    {"paths/named/shadow", pl_named_shadow, "exit 0"},
    {"paths/named/getpwnam-without", pl_named_getpwnam_without, "SIGSYS"},
    {"paths/named-exec/devnull", pl_exec_devnull, "exit 0"},
    {"paths/named-exec/localtime", pl_exec_localtime, "exit 0"},
    {"paths/named-exec/getpwnam", pl_exec_getpwnam, "exit 0"},
    {"paths/named-exec/hosts", pl_exec_hosts, "exit 0"},
    {"paths/named-exec/shadow", pl_exec_shadow, "exit 0"},
    {"paths/named-exec/getpwnam-without", pl_exec_getpwnam_without, "SIGSYS"},
    {"paths/tmppath", pl_tmppath, "exit 0"},
    {"paths/stacking", pl_stacking, "exit 0"},
    {"paths/stacking-threads", pl_stacking_threads, "exit 0"},
    {"paths/stacking-threads-supervised", pl_stacking_supervised, "exit 0"},
    {"paths/later-layer-one-thread", pl_later_one_thread, "exit 0"},
    {"paths/unreached-threads", pl_unreached, "exit 0"},
    {"paths/named-fds-closed", pl_named_fds_closed, "exit 0"},
    {"paths/bypass-veil", pl_bypass_veil_pledge, "exit 0"},
    {"paths/bypass-veil-block-first", pl_bypass_veil_block_first, "exit 0"},
    {"paths/unveil-after-pledge", pl_unveil_after, "exit 0"},
    {"paths/unveil-after-pledge-strict", pl_unveil_after_strict, "exit 0"},
};

static void
rm_fixture(void)
{
	rm_tree(base);
	rm_tree(outside);
	rm_tree(tmpsub);
}

static int
run_case(const struct lpl_case *c)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof base, "%s/lpregress.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		printf("sandboxtest: %s=FAIL(mkdtemp: %s)\n", c->name, strerror(errno));
		return 1;
	}
	const char *name = strrchr(base, '/') + 1;
	snprintf(outside, sizeof outside, "/var/tmp/%s", name);
	snprintf(tmpsub, sizeof tmpsub, "/tmp/%s-sub", name);
	snprintf(dir1, sizeof dir1, "%s/uvdir1", base);
	snprintf(dir2, sizeof dir2, "%s/uvdir2", base);
	snprintf(file1, sizeof file1, "%s/uvfile1", base);
	snprintf(file2, sizeof file2, "%s/uvfile2", base);
	mkdir(dir1, 0755);
	mkdir(dir2, 0755);
	mkdir(path(dir1, "subdir"), 0755);
	mkdir(path(dir2, "subdir"), 0755);
	touch(file1);
	chmod(file1, S_IRWXU);
	touch(file2);

	return run_in_child(c, NULL, rm_fixture);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	set_helpers(argv[0]);
	if (argc == 4 && strcmp(argv[1], "-named") == 0) {
		check_named(argv[2], argv[3]);
		printf("sandboxtest: %s=%s\n", argv[2], failures ? "FAIL" : "ok");
		return failures ? 1 : 0;
	}
	return cases_main("regress", argc, argv, cases, sizeof cases / sizeof cases[0], run_case);
}
