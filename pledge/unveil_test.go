//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/unveil"
	"golang.org/x/sys/unix"
)

func veilReport(checks ...any) {
	for i := 0; i+1 < len(checks); i += 2 {
		err, _ := checks[i+1].(error) // a nil error arrives as a nil interface
		sandboxtest.Report(checks[i].(string), err)
	}
}

func veilRead(p string) error {
	_, err := os.ReadFile(p)
	return err
}

func veilWrite(p string) error { return os.WriteFile(p, []byte("x"), 0o644) }

// TestUnveilAPI drives Unveil and UnveilBlock as a ported OpenBSD program
// would, and checks the errors are *os.PathError wrapping the errno.
func TestUnveilAPI(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	dir := sandboxtest.TempDir(t)
	if !sandboxtest.InChild() {
		if err := os.MkdirAll(dir+"/data", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/ro", []byte("ro"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := sandboxtest.Run(t, func() {
		einval := Unveil(dir, "z")
		var pe *os.PathError
		fmt.Printf("sandboxtest: patherror=%v\n", errors.As(einval, &pe) && pe.Path == dir && pe.Op == "unveil")
		veilReport(
			"bad-perm", einval,
			"long-perm", Unveil(dir, "rwxcr"),
			"empty-path", Unveil("", "r"),
			"no-dir", Unveil(dir+"/no/such", "r"),
			"data", Unveil(dir+"/data", "rwc"),
			"ro", Unveil(dir+"/ro", "r"),
			"db", Unveil(dir+"/data/db", "rwc"),
			"block", UnveilBlock(),
			"after-block", Unveil(dir, "r"),
			"block-again", UnveilBlock(),
			"ro-read", veilRead(dir+"/ro"),
			"ro-write", veilWrite(dir+"/ro"),
			"db-write", veilWrite(dir+"/data/db"),
			"outside", veilRead("/etc/passwd"),
		)
		st := UnveilStatus()
		fmt.Printf("sandboxtest: enforced=%v\nsandboxtest: locked=%v\n", st.Enforced, st.Locked)
	})
	res.WantExit(t, 0)
	for _, kv := range [][2]string{
		{"patherror", "true"}, {"bad-perm", "EINVAL"}, {"long-perm", "ENAMETOOLONG"},
		{"empty-path", "EINVAL"}, {"no-dir", "ENOENT"}, {"data", "ok"}, {"ro", "ok"}, {"db", "ok"},
		{"block", "ok"}, {"after-block", "EPERM"}, {"block-again", "ok"},
		{"ro-read", "ok"}, {"ro-write", "EACCES"}, {"db-write", "ok"}, {"outside", "EACCES"},
		{"enforced", "true"}, {"locked", "true"},
	} {
		res.WantOutcome(t, kv[0], kv[1])
	}
}

// TestUnveilBlockNothing: unveil(NULL, NULL) with nothing unveiled only
// locks; nothing is hidden.
func TestUnveilBlockNothing(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	dir := sandboxtest.TempDir(t)
	res := sandboxtest.Run(t, func() {
		veilReport("block", UnveilBlock(), "unveil", Unveil(dir, "r"),
			"write", veilWrite(dir+"/f"), "read", veilRead("/etc/passwd"))
		fmt.Printf("sandboxtest: enforced=%v\n", UnveilStatus().Enforced)
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "block", "ok")
	res.WantOutcome(t, "unveil", "EPERM")
	res.WantOutcome(t, "write", "ok")
	res.WantOutcome(t, "read", "ok")
	res.WantOutcome(t, "enforced", "false")
}

// TestNoLandlockBestEffort simulates a kernel without Landlock: Unveil
// fails with ENOSYS (errors.ErrUnsupported) until best effort is on, then
// succeeds without enforcing, which UnveilStatus shows.
func TestNoLandlockBestEffort(t *testing.T) {
	dir := sandboxtest.TempDir(t)
	res := sandboxtest.Run(t, func() {
		veil.SetABIFunc(func() (int, error) {
			return 0, os.NewSyscallError("landlock_create_ruleset", unix.ENOSYS)
		})
		err := Unveil(dir, "r")
		fmt.Printf("sandboxtest: unsupported=%v\n", errors.Is(err, errors.ErrUnsupported))
		veilReport("strict", err)
		SetBestEffort(true)
		veilReport("best-effort", Unveil(dir, "r"), "block", UnveilBlock(),
			"outside", veilRead("/etc/passwd"), "after", Unveil(dir, "r"))
		st := UnveilStatus()
		fmt.Printf("sandboxtest: status=abi%d enforced=%v unenforced=%s\n",
			st.ABI, st.Enforced, strings.Join(st.UnenforcedNames(), ","))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "strict", "ENOSYS")
	res.WantOutcome(t, "unsupported", "true")
	res.WantOutcome(t, "best-effort", "ok")
	res.WantOutcome(t, "block", "ok")
	res.WantOutcome(t, "outside", "ok")
	res.WantOutcome(t, "after", "EPERM")
	res.WantOutcome(t, "status", "abi0 enforced=false unenforced="+strings.Join(unveil.RightNames(unveil.AllRights()), ",")+",SCOPE_ABSTRACT_UNIX_SOCKET")
}

// TestBestEffortEnv: EnvBestEffort=1 turns best effort on at start-up.
func TestBestEffortEnv(t *testing.T) {
	for _, v := range []string{"1", "0", ""} {
		t.Setenv(EnvBestEffort, v)
		if got := newVeil().Status().BestEffort; got != (v == "1") {
			t.Errorf("%s=%q: best effort %v", EnvBestEffort, v, got)
		}
	}
}

// TestUnveilStatusABI: the status names the running ABI and what it cannot
// enforce.
func TestUnveilStatusABI(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	st := UnveilStatus()
	if st.ABI < 1 || st.Err != nil {
		t.Fatalf("status %+v", st)
	}
	names := st.UnenforcedNames()
	if st.ABI >= 9 && len(names) != 0 || st.ABI < 9 && !slices.Contains(names, "RESOLVE_UNIX") {
		t.Errorf("ABI %d: unenforced %v", st.ABI, names)
	}
}
