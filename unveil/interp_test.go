//go:build linux

package unveil

import (
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// TestPermAt: OpenBSD's most specific entry decides (its own, else the
// nearest directory above); nothing covers a path outside every entry.
func TestPermAt(t *testing.T) {
	entries := []Entry{{Path: "/", Perm: PermRead}, {Path: "/usr/lib", Perm: PermRead | PermExec},
		{Path: "/usr/lib/x", Perm: 0}, {Path: "/usr/libexec", Perm: PermWrite}}
	for path, want := range map[string]Perm{
		"/etc/passwd":      PermRead,
		"/usr/lib/a/b":     PermRead | PermExec,
		"/usr/lib/x":       0,
		"/usr/libexec/foo": PermWrite,
		"/usr/libx":        PermRead, // not under /usr/lib
	} {
		if got, ok := permAt(entries, path); !ok || got != want {
			t.Errorf("permAt(%s) = %v, %v; want %v", path, got, ok, want)
		}
	}
	if _, ok := permAt(entries[1:], "/etc/passwd"); ok {
		t.Error("permAt(/etc/passwd) without \"/\": covered")
	}
}

// TestInterpreterEntries: an interpreter the veil lets read gets "x" of
// its own, and one it executes already or cannot read gets nothing; the
// plan stays small (no directory is split for it).
func TestInterpreterEntries(t *testing.T) {
	var real string
	for _, p := range ELFInterpreters[runtime.GOARCH] {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			real = r
			break
		}
	}
	if real == "" {
		t.Skipf("no glibc or musl interpreter of %s on this machine", runtime.GOARCH)
	}
	got := ImpliedInterpreters([]Entry{{Path: "/", Perm: PermRead}})
	if !slices.Contains(got, real) {
		t.Errorf("under \"/\" r: implied %v, want %s among them", got, real)
	}
	for name, entries := range map[string][]Entry{
		"/ rx":    {{Path: "/", Perm: PermRead | PermExec}},
		"/etc r":  {{Path: "/etc", Perm: PermRead}},
		"hidden":  {{Path: "/", Perm: PermRead}, {Path: real, Perm: 0}},
		"own rx":  {{Path: "/", Perm: PermRead}, {Path: real, Perm: PermRead | PermExec}},
		"only x":  {{Path: "/", Perm: PermExec}},
		"no veil": nil,
	} {
		if got := ImpliedInterpreters(entries); slices.Contains(got, real) {
			t.Errorf("%s: %s implied", name, real)
		}
	}
	with := withInterpreters([]Entry{{Path: "/", Perm: PermRead, Kind: KindDir}, {Path: real, Perm: PermRead, Kind: KindFile}})
	if n := len(with); n < 2 || with[0].Path != "/" || slices.IndexFunc(with, func(e Entry) bool { return e.Path == real && e.Perm == PermRead|PermExec }) < 0 {
		t.Errorf("withInterpreters: %v, want \"/\" r and %s rx in place of its r", with, real)
	}
	plan := MakePlan(with, AllRights(), readDir)
	if len(plan.Rules) > 1+len(ELFInterpreters[runtime.GOARCH]) {
		t.Errorf("plan of \"/\" r with the implied interpreters: %d rules, want one per interpreter more: %v", len(plan.Rules), plan.Rules)
	}
}
