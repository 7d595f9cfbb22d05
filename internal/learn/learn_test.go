//go:build linux

package learn

import (
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
)

var (
	who   = Who{Comm: "prog", Pid: 42}
	named = promise.AllNamedPaths()
)

func call(name string, alts ...promise.Alt) Call {
	return Call{Who: who, Name: name, Desc: func() string { return name + "()" }, Alts: alts}
}

func need(p promise.Set) promise.Alt { return promise.Alt{Need: p} }

// stat fakes the filesystem at the end of a run.
func stat(files map[string]bool) Stat {
	return func(p string) (bool, bool) {
		dir, ok := files[p]
		return ok, dir
	}
}

func TestSolveSmallestWithPreference(t *testing.T) {
	r := New(Config{Named: named})
	r.Call(call("getcwd", need(promise.Rpath), need(promise.Wpath), need(promise.Unveil)))
	r.Call(call("socket", need(promise.Inet), need(promise.DNS)))
	r.Call(call("connect", need(promise.Inet), need(promise.Unix), need(promise.DNS)))
	r.Call(call("newfstatat", need(promise.Rpath), need(promise.Unveil)))
	p := r.Solve(SolveOptions{Stat: stat(nil)})
	// rpath covers getcwd and the stat; dns (narrower than inet) the client
	// socket and its connect.
	if want := promise.Stdio | promise.Rpath | promise.DNS; p.Promises != want {
		t.Fatalf("promises %v, want %v", p.Promises, want)
	}
	if p.Why[promise.DNS] == "" || p.Why[promise.Rpath] == "" {
		t.Errorf("no reasons: %v", p.Why)
	}
	// A listen forces inet, which then covers the socket too.
	r.Call(call("listen", need(promise.Inet), need(promise.Unix)))
	if p := r.Solve(SolveOptions{Stat: stat(nil)}); p.Promises != promise.Stdio|promise.Rpath|promise.Inet {
		t.Fatalf("with listen: %v", p.Promises)
	}
}

func TestSolveUnlessAndNotAllowed(t *testing.T) {
	r := New(Config{})
	r.Call(call("memfd_create", promise.Alt{Need: promise.Stdio, Unless: promise.Exec}))
	r.Call(call("execve", need(promise.Exec)))
	r.Call(call("ptrace"))
	p := r.Solve(SolveOptions{Stat: stat(nil)})
	if p.Promises != promise.Stdio|promise.Exec {
		t.Errorf("promises %v", p.Promises)
	}
	if len(p.Conflicts) != 1 || !strings.Contains(p.Conflicts[0], "memfd_create") {
		t.Errorf("conflicts %q", p.Conflicts)
	}
	if len(p.NotAllowed) != 1 || !strings.Contains(p.NotAllowed[0], "ptrace") {
		t.Errorf("not allowed %q", p.NotAllowed)
	}
}

// A fallback does only when every instance of the call could do with it.
func TestFallbacks(t *testing.T) {
	sock := call("socket", need(promise.Unix), promise.Alt{Need: promise.Getpw, Errno: syscall.EACCES})
	pw := PathEvent{Who: who, Op: OpOpen, Path: "/etc/passwd"}
	for _, c := range []struct {
		futile []bool
		want   promise.Set
	}{
		{[]bool{true, true}, promise.Stdio | promise.Getpw},
		{[]bool{true, false}, promise.Stdio | promise.Getpw | promise.Unix},
	} {
		r := New(Config{Named: named})
		r.Path(pw)
		for _, f := range c.futile {
			r.Call(sock).Fallback(f)
		}
		if p := r.Solve(SolveOptions{Stat: stat(nil)}); p.Promises != c.want {
			t.Errorf("%v: %v, want %v", c.futile, p.Promises, c.want)
		}
	}
}

func TestNamedPaths(t *testing.T) {
	r := New(Config{Named: named})
	r.Path(PathEvent{Op: OpOpen, Path: "/dev/null", Flags: syscall.O_WRONLY})
	r.Path(PathEvent{Op: OpOpen, Path: "/etc/passwd"})
	r.Path(PathEvent{Op: OpOpen, Path: "/usr/share/zoneinfo/Etc/UTC"})
	// mkstemp in /tmp: tmppath is enough, no unveil.
	mk := []promise.Alt{{Need: promise.Cpath, Layer: true}, {Need: promise.Tmppath, Layer: true}}
	r.Path(PathEvent{Op: OpOpen, Path: "/tmp/x123", Flags: syscall.O_RDWR | syscall.O_CREAT | syscall.O_EXCL, Created: true, Alts: mk})
	r.Path(PathEvent{Op: OpUnlink, Path: "/tmp/x123", Alts: []promise.Alt{need(promise.Cpath), {Need: promise.Tmppath, Layer: true}}})
	p := r.Solve(SolveOptions{Stat: stat(map[string]bool{"/tmp": true})})
	if want := promise.Stdio | promise.Tmppath | promise.Getpw; p.Promises != want || len(p.Unveils) != 0 {
		t.Fatalf("%v %v, want %v and no unveils", p.Promises, p.Unveils, want)
	}
	// Truncating in /tmp is beyond tmppath: wpath cpath and an unveil.
	r = New(Config{Named: named})
	r.Path(PathEvent{Op: OpOpen, Path: "/tmp/out.tgz", Flags: syscall.O_WRONLY | syscall.O_CREAT | syscall.O_TRUNC, Created: true,
		Alts: []promise.Alt{need(promise.Wpath | promise.Cpath)}})
	p = r.Solve(SolveOptions{Stat: stat(map[string]bool{"/tmp": true, "/tmp/out.tgz": false})})
	if want := promise.Stdio | promise.Wpath | promise.Cpath; p.Promises != want {
		t.Fatalf("%v, want %v", p.Promises, want)
	}
	if want := []Unveil{{"wc", "/tmp/out.tgz"}}; !slices.Equal(p.Unveils, want) {
		t.Errorf("unveils %v, want %v", p.Unveils, want)
	}
}

func TestUnveilPlacement(t *testing.T) {
	fs := map[string]bool{"/": true, "/home": true, "/home/u": true, "/home/u/repo": true, "/home/u/repo/a.txt": false,
		"/home/u/repo/.git": true, "/home/u/repo/.git/index": false, "/usr/bin/ls": false, "/etc/x.conf": false, "/proc": true}
	r := New(Config{Named: named})
	open := func(path string, flags uint64, created bool) {
		r.Path(PathEvent{Op: OpOpen, Path: path, Flags: flags, Created: created})
	}
	open("/home/u/repo/a.txt", 0, false)
	r.Path(PathEvent{Op: OpMkdir, Path: "/home/u/repo/.git", Alts: []promise.Alt{need(promise.Cpath)}})
	open("/home/u/repo/.git/index.lock", syscall.O_RDWR|syscall.O_CREAT, true)
	r.Path(PathEvent{Op: OpRenameFrom, Path: "/home/u/repo/.git/index.lock"})
	r.Path(PathEvent{Op: OpRenameTo, Path: "/home/u/repo/.git/index"})
	open("/etc/x.conf", 0, false)
	open("/proc/4242/cgroup", 0, false)
	r.Path(PathEvent{Op: OpOpen, Path: "/no/such", Err: syscall.ENOENT})
	r.Path(PathEvent{Op: OpExec, Path: "/usr/bin/ls"})
	p := r.Solve(SolveOptions{Stat: stat(fs), Auto: []Unveil{{"rx", "/usr/bin/ls"}}})
	want := []Unveil{{"r", "/etc/x.conf"}, {"r", "/proc"}, {"rwc", "/home/u/repo"}}
	slices.SortFunc(want, func(a, b Unveil) int { return strings.Compare(a.Path, b.Path) })
	if !slices.Equal(p.Unveils, want) {
		t.Errorf("unveils %v, want %v", p.Unveils, want)
	}
	if !slices.Equal(p.Probes, []string{"/no/such"}) {
		t.Errorf("probes %v", p.Probes)
	}
	if want := promise.Stdio | promise.Rpath | promise.Wpath | promise.Cpath | promise.Exec; p.Promises != want {
		t.Errorf("promises %v, want %v", p.Promises, want)
	}
}

func TestCollapse(t *testing.T) {
	fs := map[string]bool{"/usr": true, "/usr/lib": true, "/usr/lib/py": true, "/etc": true}
	r := New(Config{})
	for _, f := range []string{"a", "b", "c", "d", "e"} {
		fs["/usr/lib/py/"+f+".py"] = false
		r.Path(PathEvent{Op: OpOpen, Path: "/usr/lib/py/" + f + ".py"})
	}
	for _, f := range []string{"a", "b", "c", "d", "e", "f"} {
		fs["/etc/"+f] = false
		r.Path(PathEvent{Op: OpOpen, Path: "/etc/" + f})
	}
	r.Path(PathEvent{Op: OpOpen, Path: "/usr/lib/py/a.py", Flags: syscall.O_WRONLY})
	p := r.Solve(SolveOptions{Stat: stat(fs)})
	var got []string
	for _, u := range p.Unveils {
		got = append(got, u.Perm+":"+u.Path)
	}
	// /etc is too near the top to be unveiled for its entries.
	want := []string{"r:/etc/a", "r:/etc/b", "r:/etc/c", "r:/etc/d", "r:/etc/e", "r:/etc/f", "rw:/usr/lib/py"}
	if !slices.Equal(got, want) {
		t.Errorf("unveils %v, want %v", got, want)
	}
}

func TestStartingPoint(t *testing.T) {
	fs := map[string]bool{"/data": true, "/data/a": false, "/data/b": false}
	r := New(Config{})
	r.Path(PathEvent{Op: OpOpen, Path: "/data/a"})
	r.Path(PathEvent{Op: OpOpen, Path: "/data/b", Flags: syscall.O_WRONLY})
	p := r.Solve(SolveOptions{Start: promise.Inet, StartUnveils: []Unveil{{"r", "/data"}}, Stat: stat(fs)})
	if p.Promises != promise.Stdio|promise.Inet|promise.Rpath|promise.Wpath {
		t.Errorf("promises %v", p.Promises)
	}
	if want := []Unveil{{"r", "/data"}, {"w", "/data/b"}}; !slices.Equal(p.Unveils, want) {
		t.Errorf("unveils %v, want %v", p.Unveils, want)
	}
}

func TestPolicyFile(t *testing.T) {
	f := &File{Promises: promise.Stdio | promise.Rpath, Unveils: []Unveil{
		{"r", "/etc/ssl"}, {"rwc", "/tmp/with space"}, {"", "/hidden"}, {"r", "/odd\nname"}, {"r", `/"q`}, {"r", "/trail "}}}
	var b strings.Builder
	if err := f.Format(&b, []string{"a comment", "two\nlines"}); err != nil {
		t.Fatal(err)
	}
	g, err := ParseFile(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if g.Promises != f.Promises || !slices.Equal(g.Unveils, f.Unveils) {
		t.Errorf("round trip: %+v, want %+v\n%s", g, f, b.String())
	}
	for _, bad := range []string{"", "promises stdio\npromises rpath\n", "promises bogus\n", "promises\nunveil rz /x\n",
		"promises\nunveil r relative\n", "promises\nfrob\n", "promises\nunveil r\n"} {
		if _, err := ParseFile(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if g, err := ParseFile(strings.NewReader("  # c\n\npromises\n")); err != nil || g.Promises != 0 {
		t.Errorf("empty promises: %v %v", g, err)
	}
}

func TestShellQuote(t *testing.T) {
	sandboxtest.Require(t, "learn-programs") // sh
	words := []string{"plain", "a b", "it's", "", "$HOME", "r:/x", "`x`", "a\nb", "-p", "*"}
	line := "printf '[%s]' " + shellJoin(words)
	out, err := exec.Command("sh", "-c", line).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "[" + strings.Join(words, "][") + "]"
	if string(out) != want {
		t.Errorf("sh printed %q, want %q (line %s)", out, want, line)
	}
}

func TestCode(t *testing.T) {
	f := &File{Promises: promise.Stdio | promise.Rpath | promise.Exec, Unveils: []Unveil{{"r", `/a "b"`}, {"x", "/usr/bin/ls"}}}
	lib := []Unveil{{"r", "/lib/x86_64-linux-gnu/libc.so.6"}}
	g := GoCode(f, lib)
	for _, want := range []string{`pledge.Unveil("/a \"b\"", "r")`, `pledge.PledgePromises("stdio rpath exec")`, "libc.so.6"} {
		if !strings.Contains(g, want) {
			t.Errorf("Go code lacks %s:\n%s", want, g)
		}
	}
	c := CCode(f, nil)
	for _, want := range []string{`unveil("/a \"b\"", "r")`, `pledge("stdio rpath exec", NULL)`} {
		if !strings.Contains(c, want) {
			t.Errorf("C code lacks %s:\n%s", want, c)
		}
	}
	if q := cQuote("a\x01??=é"); q != `"a\001?\?=\303\251"` {
		t.Errorf("cQuote: %s", q)
	}
	if got := GoCode(&File{Promises: promise.Stdio}, nil); !strings.Contains(got, `pledge.Pledge("stdio", "")`) {
		t.Errorf("Go code without exec: %s", got)
	}
}
