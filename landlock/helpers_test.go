//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"golang.org/x/sys/unix"
)

func itoa(i int) string { return strconv.Itoa(i) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// errnoErr turns a raw errno (0 = success) into an error for Report.
func errnoErr(errno unix.Errno) error {
	if errno == 0 {
		return nil
	}
	return errno
}

// boolErr reports a child-side condition: nil when it holds.
func boolErr(ok bool) error {
	if ok {
		return nil
	}
	return errors.New("false")
}

// mustOK is for child set-up steps: report the failure and exit 2.
func mustOK(key string, err error) {
	if err != nil {
		sandboxtest.Report(key, err)
		os.Exit(2)
	}
}

// openRead opens path read-only with one open(2) on the calling thread, so
// a denial's errno comes straight from the kernel.
func openRead(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

func openWrite(path string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// tree makes dir/allowed/file and dir/denied/file (world-readable, so a
// child that drops to nobody can read them) and returns both directories.
// Repeatable: the child runs it again on the same directory.
func tree(dir string) (allowed, denied string) {
	allowed, denied = filepath.Join(dir, "allowed"), filepath.Join(dir, "denied")
	for _, d := range []string{allowed, denied} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(d, "file"), []byte("x"), 0o644); err != nil {
			panic(err)
		}
	}
	return allowed, denied
}

// threadIDs lists the threads of this process from /proc/self/task.
func threadIDs() map[int]bool {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		panic(err)
	}
	ids := map[int]bool{}
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			panic(err)
		}
		ids[id] = true
	}
	return ids
}

// failLandlockCreateRuleset installs, on the calling thread only, a
// seccomp filter making landlock_create_ruleset fail with errno, the way a
// kernel without Landlock (ENOSYS) or with it disabled (EOPNOTSUPP) answers.
// It locks the goroutine to its thread for good: the filter and the calls
// under test must run on the same thread. Child processes only.
func failLandlockCreateRuleset(errno unix.Errno) {
	runtime.LockOSThread()
	mustOK("prctl-nnp", unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
	// No arch check: the filter lives only in this short-lived child and
	// only ever sees native syscalls from the Go runtime.
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_LANDLOCK_CREATE_RULESET},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog)))
	mustOK("seccomp", errnoErr(e))
}

// tcpPorts returns n distinct free TCP ports on 127.0.0.1, found by binding
// port 0 before any restriction.
func tcpPorts(n int) []int {
	var fds, ports []int
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		mustOK("socket", err)
		mustOK("bind-0", unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
		sa, err := unix.Getsockname(fd)
		mustOK("getsockname", err)
		fds, ports = append(fds, fd), append(ports, sa.(*unix.SockaddrInet4).Port)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	return ports
}

// bindTCP binds a new TCP socket to 127.0.0.1:port.
func bindTCP(port int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	return unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
}
