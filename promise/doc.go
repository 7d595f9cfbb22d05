// Package promise is OpenBSD's pledge vocabulary for Linux, pure data and
// pure functions: the 36 promise names and their parsing, and the promise
// table (table.go), the one place that says which syscalls, with which
// argument conditions, each promise allows on Linux, which syscalls no
// promise allows, and which answer ENOSYS in every mode so that libc falls
// back to a call a filter can check (clone3, openat2, io_uring).
// BuildFilter compiles it for amd64 or arm64 from any host, Explain reads
// it back to name the promise a violating call lacked, and docs/promises.md
// and README's table are rendered from it (go test ./promise -run
// TestPromisesDoc -update). It makes no system calls and holds no state:
// package pledge applies it to this process, internal/sandbox to another.
//
// Differences from OpenBSD that follow from seccomp seeing only syscall
// numbers and argument registers, never the memory they point to:
//
//   - Paths cannot be checked. OpenBSD lets stdio open /dev/null and
//     /etc/localtime, dns read /etc/resolv.conf, tmppath use /tmp; here an
//     open the promises do not allow fails with EACCES instead of killing,
//     and such files need rpath/wpath (with unveil to narrow them).
//   - Addresses cannot be checked: inet, unix and dns allow any address of
//     their socket families; sendto under stdio only without an address.
//   - Control messages cannot be checked: sendfd and recvfd add nothing,
//     sendmsg/recvmsg are stdio.
//   - Violations kill with SECCOMP_RET_KILL_PROCESS: the wait status is
//     "killed by SIGSYS" (shell status 159), not OpenBSD's SIGABRT (134).
//
// Syscall numbers come from golang.org/x/sys; regenerate zsysnum.go with
// go generate ./promise after updating it.
package promise
