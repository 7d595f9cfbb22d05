/*
 * programs: what real OpenBSD programs do with pledge and unveil, each
 * pattern in a few lines of our own, run against libpledge with exact
 * outcomes. The programs themselves (openrsync, mandoc, lowdown, sqlbox;
 * how they were run against libpledge is in the note) are never
 * needed: each case names the program whose sequence it follows.
 *
 *	programs -l          list the cases
 *	programs NAME...     run them (all without NAME)
 *
 * As test/regress.c: every case in a forked child on a fresh fixture
 * (a new directory under $TMPDIR, the child's working directory), each
 * step checked (an errno name, or "ok"), the child's end checked too,
 * "sandboxtest: NAME=ok" or the first failures on stdout.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "caselib.h"
#include "pledge.h"

static char base[700]; /* the fixture; the case's working directory */

/* CHECK_FD: a call returning a descriptor, which it leaves in *fdp. */
#define CHECK_FD(fdp, call, want)                                  \
	do {                                                       \
		*(fdp) = (call);                                   \
		check(__LINE__, #call, *(fdp) < 0 ? errno : 0, want); \
	} while (0)

static void
put(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("FAIL: fixture %s: %s\n", p, strerror(errno));
		_exit(1);
	}
	close(fd);
}

/* lowdown --------------------------------------------------------------
 * Pledges "stdio rpath wpath cpath", opens its input and output, then
 * "stdio" for all of the work: reading, writing, asking whether the
 * output is a terminal and how wide it is. */

static void
lowdown_open_then_stdio(void)
{
	int in, out;
	char buf[64];
	put("in.md", "# title\n");
	CHECK(pledge("stdio rpath wpath cpath", NULL), "ok");
	CHECK_FD(&in, open("in.md", O_RDONLY), "ok");
	CHECK_FD(&out, open("out.html", O_WRONLY | O_CREAT | O_TRUNC, 0644), "ok");
	CHECK(pledge("stdio", NULL), "ok");
	CHECK(read(in, buf, sizeof buf), "ok");
	CHECK(write(out, "<h1>title</h1>\n", 15), "ok");
	struct stat st;
	CHECK(fstat(in, &st), "ok");
	struct winsize ws;
	CHECK(ioctl(out, TIOCGWINSZ, &ws), "ENOTTY"); /* a file: not a terminal */
	struct termios t;
	CHECK(tcgetattr(out, &t), "ENOTTY");
	CHECK(close(in), "ok");
	CHECK(close(out), "ok");
}

/* sqlbox ---------------------------------------------------------------
 * The library forks its database server over a socketpair; the child
 * pledges "stdio rpath cpath wpath flock fattr" and serves requests
 * with SQLite: its database file created with O_NOFOLLOW, read and
 * written at offsets, locked, a journal beside it created and removed,
 * the file's mode set; then it ends with _exit(2). */

static void
sqlbox_server(int sv)
{
	int db, jr;
	char buf[16];
	CHECK(pledge("stdio rpath cpath wpath flock fattr", NULL), "ok");
	CHECK(getrandom(buf, 8, GRND_NONBLOCK), "ok");
	struct stat st;
	CHECK(stat(".", &st), "ok");
	CHECK(stat("db", &st), "ENOENT");
	CHECK_FD(&db, open("db", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644), "ok");
	CHECK(fstat(db, &st), "ok");
	CHECK(pread(db, buf, sizeof buf, 0), "ok");
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
	CHECK(fcntl(db, F_SETLK, &lk), "ok");
	CHECK(fcntl(db, F_GETLK, &lk), "ok");
	CHECK_FD(&jr, open("db-journal", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644), "ok");
	CHECK(pwrite(jr, "journal", 7, 0), "ok");
	CHECK(fsync(jr), "ok");
	CHECK(pwrite(db, "SQLite format 3", 15, 0), "ok");
	CHECK(fdatasync(db), "ok");
	CHECK(ftruncate(db, 4096), "ok");
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, db, 0);
	check(__LINE__, "mmap(MAP_SHARED)", m == MAP_FAILED ? errno : 0, "ok");
	if (m != MAP_FAILED)
		munmap(m, 4096);
	CHECK(ftruncate(jr, 0), "ok");
	CHECK(close(jr), "ok");
	CHECK(unlink("db-journal"), "ok");
	CHECK(fchmod(db, 0600), "ok");
	lk.l_type = F_UNLCK;
	CHECK(fcntl(db, F_SETLK, &lk), "ok");
	CHECK(flock(db, LOCK_EX | LOCK_NB), "ok");
	CHECK(close(db), "ok");
	CHECK(send(sv, "done", 4, MSG_NOSIGNAL), "ok");
	_exit(failures ? 1 : 0);
}

static void
sqlbox_privsep_child(void)
{
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(sv[1]);
		sqlbox_server(sv[0]);
	}
	close(sv[0]);
	int st;
	MUST(waitpid(p, &st, 0));
	CHECK_STATUS(status(st), "exit 0");
	char buf[8] = {0};
	CHECK(recv(sv[1], buf, sizeof buf - 1, 0), "ok");
	check(__LINE__, "the server's answer", strcmp(buf, "done") == 0 ? 0 : EINVAL, "ok");
	struct stat st2;
	CHECK(stat("db", &st2), "ok");
	check(__LINE__, "the database's mode", (st2.st_mode & 0777) == 0600 ? 0 : EINVAL, "ok");
}

/* mandoc ---------------------------------------------------------------
 * mandoc and man -l: unveil("/", "r"), then pledge("stdio rpath")
 * without unveil(NULL, NULL): the pledge commits the veil and locks it. */

static void
mandoc_read_anywhere(void)
{
	int fd;
	CHECK(unveil("/", "r"), "ok");
	CHECK(pledge("stdio rpath", NULL), "ok");
	CHECK(unveil(base, "rwc"), "EPERM"); /* locked by the pledge */
	CHECK_FD(&fd, open("/etc/passwd", O_RDONLY), "ok");
	close(fd);
	DIR *d = opendir("/");
	check(__LINE__, "opendir /", d ? 0 : errno, "ok");
	if (d)
		closedir(d);
	struct stat st;
	CHECK(stat(base, &st), "ok");
}

/* With a pager: its temporary files made first, the pager unveiled "x",
 * "/" "r" and /tmp "rwc" (here the fixture), pledge("stdio rpath cpath
 * tty proc exec", NULL); the child execs the pager, the parent pledges
 * "stdio cpath tty proc", waits and removes its files. The pager is
 * static or dynamic (hello-dyn: its ELF interpreter is only readable under
 * "/" "r", as on OpenBSD, where the exec reads it; the veil implies the x
 * Linux's exec needs). */

static void
mandoc_pager_with(const char *pager)
{
	char tmpl[800];
	snprintf(tmpl, sizeof tmpl, "%s/man.XXXXXXXXXX", base);
	int fd = mkstemp(tmpl);
	MUST(fd);
	char *argv[] = {path(helpers, pager), "quiet", NULL};
	CHECK(unveil(argv[0], "x"), "ok");
	CHECK(unveil("/", "r"), "ok");
	CHECK(unveil(base, "rwc"), "ok");
	CHECK(pledge("stdio rpath cpath tty proc exec", NULL), "ok");
	CHECK(write(fd, "page\n", 5), "ok");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		execv(argv[0], argv);
		_exit(126);
	}
	CHECK(pledge("stdio cpath tty proc", NULL), "ok");
	int st;
	MUST(waitpid(p, &st, 0));
	CHECK_STATUS(status(st), "exit 0");
	CHECK(close(fd), "ok");
	CHECK(unlink(tmpl), "ok");
}

static void mandoc_pager(void) { mandoc_pager_with("hello-static"); }
static void mandoc_pager_dynamic(void) { mandoc_pager_with("hello-dyn"); }

/* openrsync ------------------------------------------------------------
 * The receiver: pledge("stdio unix rpath wpath cpath dpath fattr chown
 * getpw unveil"); with its destination missing, "." "rwc"; "/" "r" for
 * --link-dest and friends; an absolute --temp-dir, made first, "rwc";
 * the destination "rwc" (a name that does not exist yet); the lock.
 * Then it makes the destination, writes each file as a temporary name
 * (in the temporary directory or beside its final name), sets its mode,
 * times and owner and renames it into place, makes symlinks, directories
 * and hard links, and reads users. */

static void
openrsync_receiver(void)
{
	int fd, dfd;
	MUST(mkdir("src", 0755));
	put("src/f", "data\n");
	MUST(mkdir("../lpprograms-outside", 0755)); /* outside "." */
	put("../lpprograms-outside/f", "data\n");
	MUST(mkdir("tmpd", 0755));
	char tmpd[800], t1[900];
	snprintf(tmpd, sizeof tmpd, "%s/tmpd", base);

	CHECK(pledge("stdio unix rpath wpath cpath dpath fattr chown getpw unveil", NULL), "ok");
	struct stat st;
	CHECK(stat("dst", &st), "ENOENT");
	CHECK(unveil(".", "rwc"), "ok");
	CHECK(unveil("/", "r"), "ok");
	CHECK(unveil(tmpd, "rwc"), "ok");
	CHECK(unveil("dst", "rwc"), "ok");
	CHECK(unveil(NULL, NULL), "ok");

	umask(0);
	CHECK(mkdir("dst", 0755), "ok");
	CHECK_FD(&dfd, open("dst", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "ok");
	/* A file through the temporary directory. */
	snprintf(t1, sizeof t1, "%s/.f.XXXXXX", tmpd);
	CHECK_FD(&fd, mkstemp(t1), "ok");
	CHECK(write(fd, "data\n", 5), "ok");
	CHECK(fchmod(fd, 0644), "ok");
	struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	CHECK(futimens(fd, ts), "ok");
	CHECK(fchown(fd, getuid(), getgid()), "ok");
	CHECK(close(fd), "ok");
	CHECK(renameat(AT_FDCWD, t1, dfd, "f"), "ok");
	/* A file beside its final name. */
	CHECK_FD(&fd, openat(dfd, ".g.XXXXXX", O_RDWR | O_CREAT | O_EXCL, 0600), "ok");
	CHECK(close(fd), "ok");
	CHECK(renameat(dfd, ".g.XXXXXX", dfd, "g"), "ok");
	CHECK(symlinkat("f", dfd, "lnk"), "ok");
	CHECK(utimensat(dfd, "lnk", ts, AT_SYMLINK_NOFOLLOW), "ok");
	CHECK(fchownat(dfd, "lnk", getuid(), getgid(), AT_SYMLINK_NOFOLLOW), "ok");
	CHECK(mkdirat(dfd, "sub", 0755), "ok");
	CHECK(linkat(dfd, "f", dfd, "sub/hard", 0), "ok");
	CHECK(unlinkat(dfd, "g", 0), "ok");
	check(__LINE__, "getpwuid", getpwuid(getuid()) ? 0 : ENOENT, "ok");
	CHECK_FD(&fd, open("/etc/passwd", O_RDONLY), "ok");
	close(fd);
	/* Nothing is made outside "." and the temporary directory. */
	CHECK_FD(&fd, open("../lpprograms-outside/new", O_WRONLY | O_CREAT, 0644), "EACCES");
	/* --link-dest: a hard link from a file that is only readable ("/")
	 * into the destination: OpenBSD checks "r" on the file and "c" on
	 * the destination; Landlock refuses a link that would give the file
	 * more rights where it is linked (COMPAT.md, unveil). */
	CHECK(linkat(AT_FDCWD, "../lpprograms-outside/f", dfd, "linked", 0), "EXDEV");
	CHECK(linkat(AT_FDCWD, "src/f", dfd, "linked", 0), "ok");
	CHECK(close(dfd), "ok");
}

/* The sender: pledge("stdio getpw rpath"); it walks the tree, reads
 * links and maps each file it sends. */

static void
openrsync_sender(void)
{
	int fd;
	MUST(mkdir("src", 0755));
	put("src/f", "data\n");
	MUST(symlink("f", "src/lnk"));
	CHECK(pledge("stdio getpw rpath", NULL), "ok");
	DIR *d = opendir("src");
	check(__LINE__, "opendir src", d ? 0 : errno, "ok");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d)) != NULL;)
		n++;
	check(__LINE__, "readdir src", n == 4 ? 0 : EINVAL, "ok");
	if (d)
		closedir(d);
	struct stat st;
	CHECK(lstat("src/lnk", &st), "ok");
	char buf[64];
	CHECK(readlink("src/lnk", buf, sizeof buf), "ok");
	CHECK_FD(&fd, open("src/f", O_RDONLY | O_NONBLOCK), "ok");
	CHECK(fstat(fd, &st), "ok");
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	check(__LINE__, "mmap(PROT_READ, MAP_SHARED)", m == MAP_FAILED ? errno : 0, "ok");
	if (m != MAP_FAILED)
		munmap(m, (size_t)st.st_size);
	CHECK(close(fd), "ok");
}

static const struct lpl_case cases[] = {
    {"lowdown/open-then-stdio", lowdown_open_then_stdio, "exit 0"},
    {"sqlbox/privsep-child", sqlbox_privsep_child, "exit 0"},
    {"mandoc/read-anywhere", mandoc_read_anywhere, "exit 0"},
    {"mandoc/pager", mandoc_pager, "exit 0"},
    {"mandoc/pager-dynamic", mandoc_pager_dynamic, "exit 0"},
    {"openrsync/receiver", openrsync_receiver, "exit 0"},
    {"openrsync/sender", openrsync_sender, "exit 0"},
};

static char outer[600]; /* the case's directory's parent: room for "outside" */

static void
rm_outer(void)
{
	rm_tree(outer);
}

static int
run_case(const struct lpl_case *c)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(outer, sizeof outer, "%s/lpprograms.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(outer)) {
		printf("sandboxtest: %s=FAIL(mkdtemp: %s)\n", c->name, strerror(errno));
		return 1;
	}
	snprintf(base, sizeof base, "%s/case", outer);
	mkdir(base, 0755);
	return run_in_child(c, base, rm_outer);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	set_helpers(argv[0]);
	return cases_main("programs", argc, argv, cases, sizeof cases / sizeof cases[0], run_case);
}
