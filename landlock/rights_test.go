//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"golang.org/x/sys/unix"
)

// The table against the values in include/uapi/linux/landlock.h and the
// ABI list of Documentation/userspace-api/landlock.rst.
func TestRightsTable(t *testing.T) {
	for _, c := range []struct {
		abi                      int
		fs, net, scoped          uint64
		restrictFlags            uint32
		unsupportedIoctlReadFile uint64
	}{
		{abi: 0},
		{abi: 1, fs: 0x1fff, unsupportedIoctlReadFile: AccessFSIoctlDev},
		{abi: 2, fs: 0x3fff, unsupportedIoctlReadFile: AccessFSIoctlDev},
		{abi: 3, fs: 0x7fff, unsupportedIoctlReadFile: AccessFSIoctlDev},
		{abi: 4, fs: 0x7fff, net: 0x3, unsupportedIoctlReadFile: AccessFSIoctlDev},
		{abi: 5, fs: 0xffff, net: 0x3},
		{abi: 6, fs: 0xffff, net: 0x3, scoped: 0x3},
		{abi: 7, fs: 0xffff, net: 0x3, scoped: 0x3, restrictFlags: 0x7},
		{abi: 8, fs: 0xffff, net: 0x3, scoped: 0x3, restrictFlags: 0xf},
		{abi: 9, fs: 0x1ffff, net: 0x3, scoped: 0x3, restrictFlags: 0xf},
		{abi: 42, fs: 0x1ffff, net: 0x3, scoped: 0x3, restrictFlags: 0xf},
	} {
		if got := HandledAccessFS(c.abi); got != c.fs {
			t.Errorf("HandledAccessFS(%d) = %#x, want %#x", c.abi, got, c.fs)
		}
		if got := HandledAccessNet(c.abi); got != c.net {
			t.Errorf("HandledAccessNet(%d) = %#x, want %#x", c.abi, got, c.net)
		}
		if got := HandledScopes(c.abi); got != c.scoped {
			t.Errorf("HandledScopes(%d) = %#x, want %#x", c.abi, got, c.scoped)
		}
		if got := RestrictFlags(c.abi); got != c.restrictFlags {
			t.Errorf("RestrictFlags(%d) = %#x, want %#x", c.abi, got, c.restrictFlags)
		}
		if c.abi == 0 {
			continue
		}
		if got := Unsupported(AccessFSIoctlDev|AccessFSReadFile, c.abi); got != c.unsupportedIoctlReadFile {
			t.Errorf("Unsupported(IOCTL_DEV|READ_FILE, %d) = %#x, want %#x", c.abi, got, c.unsupportedIoctlReadFile)
		}
	}
	if MaxKnownABI != 9 {
		t.Errorf("MaxKnownABI = %d, want 9", MaxKnownABI)
	}
	if AccessFSFile != 0xc007 {
		t.Errorf("AccessFSFile = %#x, want EXECUTE|WRITE_FILE|READ_FILE|TRUNCATE|IOCTL_DEV = 0xc007", AccessFSFile)
	}
	if got := UnsupportedNet(AccessNetBindTCP, 3); got != AccessNetBindTCP {
		t.Errorf("UnsupportedNet(BIND_TCP, 3) = %#x", got)
	}
	if got := UnsupportedScopes(ScopeSignal, 6); got != 0 {
		t.Errorf("UnsupportedScopes(SIGNAL, 6) = %#x", got)
	}
	// Every ABI adds something: a row left empty would be a typo.
	for abi := 1; abi <= MaxKnownABI; abi++ {
		f := abiFeatures[abi]
		if f.fs|f.net|f.scoped == 0 && f.restrictFlags == 0 {
			t.Errorf("ABI %d adds nothing", abi)
		}
	}
}

// requireABI skips unless Landlock is there with at least ABI min (see
// sandboxtest.RequireABI), and returns the running ABI as ABI says it.
func requireABI(t *testing.T, min int) int {
	t.Helper()
	want := sandboxtest.RequireABI(t, min)
	abi, err := ABI()
	if err != nil || abi != want {
		t.Fatalf("ABI() = %d, %v; the kernel says %d", abi, err, want)
	}
	return abi
}

// The running kernel agrees with the table: it accepts every right and flag
// the table gives its ABI and refuses every other bit, with the exact errno
// the kernel's ABI gives it. Creating rulesets and adding rules restricts
// nothing, so this runs in the test process; restrict_self runs in a child.
func TestABIMatchesKernel(t *testing.T) {
	abi := requireABI(t, 1)
	t.Logf("running kernel: Landlock ABI %d", abi)
	// CI may pin the ABI it expects of its kernel.
	if want, ok := os.LookupEnv("LANDPLEDGE_LANDLOCK_ABI"); ok && want != itoa(abi) {
		t.Errorf("ABI() = %d, but LANDPLEDGE_LANDLOCK_ABI=%s", abi, want)
	}
	if _, err := Errata(); err != nil {
		t.Errorf("Errata: %v", err)
	}

	attr := RulesetAttr{HandledAccessFS(abi), HandledAccessNet(abi), HandledScopes(abi)}
	rs, err := NewRuleset(attr)
	if err != nil {
		t.Fatalf("NewRuleset(every right of ABI %d): %v", abi, err)
	}
	rs.Close()

	// Every bit of a field that the ABI does not know, newer rights and
	// bits no ABI has alike. The kernel (security/landlock/syscalls.c)
	// copies struct landlock_ruleset_attr with copy_min_struct_from_user,
	// which refuses non-zero bytes past the end of its own struct with
	// E2BIG: a field newer than the kernel (net before ABI 4, scoped
	// before ABI 6) says E2BIG; an unknown bit of a field it has, EINVAL.
	fields := []struct {
		name  string
		attr  func(bit uint64) RulesetAttr
		known uint64
		since int // the ABI whose struct has the field
	}{
		{"fs", func(b uint64) RulesetAttr { return RulesetAttr{HandledAccessFS: b} }, attr.HandledAccessFS, 1},
		{"net", func(b uint64) RulesetAttr { return RulesetAttr{HandledAccessNet: b} }, attr.HandledAccessNet, 4},
		{"scoped", func(b uint64) RulesetAttr { return RulesetAttr{Scoped: b} }, attr.Scoped, 6},
	}
	for _, f := range fields {
		want := unix.EINVAL
		if abi < f.since {
			want = unix.E2BIG
		}
		var bad []string
		for bit := uint64(1); bit != 0; bit <<= 1 {
			if f.known&bit != 0 {
				continue
			}
			if _, err := NewRuleset(f.attr(bit)); !errors.Is(err, want) {
				bad = append(bad, fmt.Sprintf("%#x: %v", bit, err))
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s bits unknown to ABI %d: want %s, got\n%s", f.name, abi, unix.ErrnoName(want), strings.Join(bad, "\n"))
		}
	}

	// restrict_self flags: the kernel checks them before using the
	// ruleset, so each bit the ABI does not know is refused with EINVAL.
	res := sandboxtest.Run(t, func() {
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: AccessFSMakeBlock})
		mustOK("new-ruleset", err)
		mustOK("nnp", SetNoNewPrivsAllThreads())
		for bit := uint32(1); bit != 0; bit <<= 1 {
			if RestrictFlags(abi)&bit == 0 {
				_, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(rs.fd), uintptr(bit), 0)
				sandboxtest.Report(unknownFlagKey(bit), errnoErr(errno))
			}
		}
		_, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(rs.fd), uintptr(RestrictFlags(abi)&^unix.LANDLOCK_RESTRICT_SELF_TSYNC), 0)
		sandboxtest.Report("known-flags", errnoErr(errno))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "known-flags", "ok")
	for bit := uint32(1); bit != 0; bit <<= 1 {
		if RestrictFlags(abi)&bit == 0 {
			res.WantOutcome(t, unknownFlagKey(bit), "EINVAL")
		}
	}
}

// unknownFlagKey names the report of a restrict_self flag bit.
func unknownFlagKey(bit uint32) string { return fmt.Sprintf("unknown-flag-%#x", bit) }

// The kernel refuses every right outside AccessFSFile on a non-directory,
// and accepts those inside it: AccessFSFile is the kernel's ACCESS_FILE.
func TestAccessFSFileMatchesKernel(t *testing.T) {
	abi := requireABI(t, 1)
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(file, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for bit := uint64(1); bit <= HandledAccessFS(abi); bit <<= 1 {
		if HandledAccessFS(abi)&bit == 0 {
			continue
		}
		attr := unix.LandlockPathBeneathAttr{Allowed_access: bit, Parent_fd: int32(fd)}
		_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(rs.fd),
			unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
		want := unix.EINVAL
		if AccessFSFile&bit != 0 {
			want = 0
		}
		if errno != want {
			t.Errorf("raw landlock_add_rule on a file with right %#x: errno %v, want %v", bit, errno, want)
		}
	}
}

// Errors name the call and path and wrap the errno.
func TestErrors(t *testing.T) {
	abi := requireABI(t, 4)
	if _, err := NewRuleset(RulesetAttr{}); !errors.Is(err, unix.ENOMSG) {
		t.Errorf("NewRuleset(empty): want ENOMSG, got %v", err)
	}
	if _, err := NewRuleset(RulesetAttr{HandledAccessFS: 1 << 62}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("NewRuleset(unknown right): want EINVAL, got %v", err)
	}
	rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi), HandledAccessNet: HandledAccessNet(abi)})
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	err = rs.AddPathBeneath(missing, AccessFSReadFile)
	var pe *os.PathError
	if !errors.Is(err, unix.ENOENT) || !errors.As(err, &pe) || pe.Path != missing {
		t.Errorf("AddPathBeneath(missing): want *os.PathError for %s wrapping ENOENT, got %v", missing, err)
	}
	err = rs.AddNetPort(70000, AccessNetBindTCP)
	if !errors.Is(err, unix.EINVAL) || !contains(err.Error(), "landlock_add_rule") || !contains(err.Error(), "70000") {
		t.Errorf("AddNetPort(70000): want landlock_add_rule error naming the port wrapping EINVAL, got %v", err)
	}
	// Rights the ruleset does not handle are dropped, leaving no rule.
	small, err := NewRuleset(RulesetAttr{HandledAccessFS: AccessFSReadFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := small.AddPathBeneath(t.TempDir(), AccessFSWriteFile); err != nil {
		t.Errorf("AddPathBeneath with only unhandled rights: %v", err)
	}
	if err := small.AddNetPort(80, AccessNetBindTCP); err != nil {
		t.Errorf("AddNetPort on a ruleset handling no net rights: %v", err)
	}
	small.Close()
	if err := rs.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := rs.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := rs.RestrictSelf(0); !errors.Is(err, unix.EBADF) {
		t.Errorf("RestrictSelf after Close: want EBADF, got %v", err)
	}
}

// Without Landlock, ABI's error matches errors.ErrUnsupported. The child
// fakes both ways the kernel says so with a seccomp filter on its thread.
func TestABIUnsupported(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	for _, errno := range []unix.Errno{unix.ENOSYS, unix.EOPNOTSUPP} {
		t.Run(unix.ErrnoName(errno), func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				failLandlockCreateRuleset(errno)
				_, err := ABI()
				sandboxtest.Report("abi", err)
				sandboxtest.Report("abi-is-unsupported", boolErr(errors.Is(err, errors.ErrUnsupported)))
				_, err = NewRuleset(RulesetAttr{HandledAccessFS: AccessFSReadFile})
				sandboxtest.Report("new-ruleset", err)
				_, err = Errata()
				sandboxtest.Report("errata", err)
			})
			res.WantExit(t, 0)
			name := unix.ErrnoName(errno)
			res.WantOutcome(t, "abi", name)
			res.WantOutcome(t, "abi-is-unsupported", "ok")
			res.WantOutcome(t, "new-ruleset", name)
			res.WantOutcome(t, "errata", name)
		})
	}
}
