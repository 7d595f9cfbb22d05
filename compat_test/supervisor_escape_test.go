package compat_test

// Escapes from the ptrace supervisor (the pledge command's, and the
// library's exec supervisor) found by the outside review of issue 8, each
// tried by our own programs (testdata/escape) plainly, where it works, and
// sandboxed, with the exact outcome the supervisor must give:
//
//	A  a start-up constructor stacks a filter that relabels its violations
//	   with the supervisor's loader tag (or any other tag): every attempt
//	   fails with EPERM, silently during start-up, with a line after it;
//	   -k kills at the first attempt
//	B  the start-up window grants the loader only the image's own files:
//	   its interpreter, its DT_NEEDED closure, ld.so.cache and
//	   ld.so.preload; any other open for reading fails with EACCES and any
//	   other map as code with EPERM (SIGSYS under the library), so that an
//	   LD_AUDIT or LD_PRELOAD module from elsewhere is not loaded
//	C  sendmsg with a destination (msg_name) from a datagram socketpair,
//	   which stdio allowed: the datagram socketpair needs "unix"
//	D  clone(CLONE_UNTRACED) makes a child no supervisor sees: refused
//	   under every promise; traced children still die with the command
//
// The command runs as the test's own child and sandboxes only its program;
// the library cases run in sandboxtest children. Everything here runs the
// same as root and as nobody (CI runs the suite as both) except where a
// comment says otherwise.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/pledge"
)

func requireSupervisor(t *testing.T) {
	t.Helper()
	sandboxtest.Require(t, "landlock")
	sandboxtest.Require(t, "seccomp")
}

// secretDir is a directory the sandboxed runs unveil "r": it holds a
// secret file (Landlock lets the program read it, so only the start-up
// window's own-files rule can refuse it) and a copy of the audit module.
func secretDir(t *testing.T, dir string, p escapeProgs) (secret string) {
	t.Helper()
	secret = filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("top-secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p.audit)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "audit.so"), b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// ---- A: relabelling -------------------------------------------------------

// relabelTags are the SECCOMP_RET_DATA values the constructor's filter
// answers with: the command's two tags (1 violation, 2 loader), none (0),
// the next one and the largest, i.e. every tag the supervisor could know
// or confuse.
var relabelTags = []string{"0", "1", "2", "3", "0xffff"}

// relabelWorld is what the attempts of esc.h aim at, all outside the
// sandbox: a TCP listener on 127.0.0.1 (and an unconnected socket passed
// in as fd 3 to connect with), a process (the probe, blocked on its
// stdin), two files outside the veil (mode 0644), and a pseudo-terminal
// that is the program's stdin and controlling terminal.
type relabelWorld struct {
	ln              *net.TCPListener
	sock            *os.File
	outside         *exec.Cmd
	outsideIn       *os.File
	veil            string
	chmod, fchmodat string
	ptmx, tty       int
	ttyFile         *os.File
}

func newRelabelWorld(t *testing.T) *relabelWorld {
	t.Helper()
	w := &relabelWorld{veil: t.TempDir()}
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	w.ln = ln
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.sock = os.NewFile(uintptr(fd), "tcp")
	t.Cleanup(func() { w.sock.Close() })

	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.outside = exec.Command(program(t, envProbe), "pause")
	w.outside.Stdin = r
	if err := w.outside.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.outsideIn = pw
	t.Cleanup(func() { pw.Close(); w.outside.Wait() })

	dir := t.TempDir()
	w.chmod, w.fchmodat = filepath.Join(dir, "chmod"), filepath.Join(dir, "fchmodat")
	for _, f := range []string{w.chmod, w.fchmodat} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}

	w.ptmx, err = unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(w.ptmx) })
	if err := unix.IoctlSetPointerInt(w.ptmx, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	s, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(w.ptmx), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if e != 0 {
		t.Fatalf("TIOCGPTPEER: %v", e)
	}
	w.tty = int(s)
	// The *os.File owns the descriptor (its finalizer would close it).
	w.ttyFile = os.NewFile(s, "tty")
	t.Cleanup(func() { w.ttyFile.Close() })
	// Raw: an injected byte is readable at once from the terminal side
	// (TIOCSTI hands it to the line discipline synchronously).
	tio, err := unix.IoctlGetTermios(w.tty, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag = tio.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(w.tty, unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	return w
}

// spec runs the victim in mode with the constructor's filter answering
// tag ("none": no filter), under the command's flags (nil: plainly).
func (w *relabelWorld) spec(flags []string, mode, tag string, p escapeProgs) escSpec {
	return escSpec{
		pledge: flags,
		argv:   []string{p.victim},
		env: []string{
			"ESC_MODE=" + mode, "ESC_TAG=" + tag,
			"ESC_CONNECT=" + strconv.Itoa(w.ln.Addr().(*net.TCPAddr).Port), "ESC_CONNECT_FD=3",
			"ESC_KILL_PID=" + strconv.Itoa(w.outside.Process.Pid),
			"ESC_CHMOD=" + w.chmod, "ESC_FCHMODAT=" + w.fchmodat, "ESC_TTY_FD=0",
		},
		stdin: w.ttyFile,
		extra: []*os.File{w.sock},
		ctty:  true,
	}
}

// effects is what the attempts did outside the sandbox.
type effects struct {
	connected       bool        // the listener accepted a connection
	outside         string      // how the outside process ended: "exit 0" or its signal
	chmod, fchmodat os.FileMode // the files' modes
	injected        string      // what TIOCSTI put into the terminal's input
}

// observe collects the effects once the run is over.
func (w *relabelWorld) observe(t *testing.T, expectConnection bool) effects {
	t.Helper()
	e := effects{connected: accepted(t, w.ln, expectConnection)}
	w.outsideIn.Close() // the probe reads its stdin to EOF, then exits 0
	err := w.outside.Wait()
	ws := w.outside.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		e.outside = unix.SignalName(ws.Signal())
	case err == nil || ws.Exited():
		e.outside = fmt.Sprintf("exit %d", ws.ExitStatus())
	}
	for _, f := range []struct {
		path string
		mode *os.FileMode
	}{{w.chmod, &e.chmod}, {w.fchmodat, &e.fchmodat}} {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		*f.mode = st.Mode().Perm()
	}
	if err := unix.SetNonblock(w.tty, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := unix.Read(w.tty, buf); err == nil && n > 0 {
		e.injected = string(buf[:n])
	}
	return e
}

// accepted reports whether the listener has a connection. One that is
// expected (the plain runs) is waited for with a generous bound: the
// kernel may queue it on the listener just after connect returned. When
// none is expected (the sandboxed runs, whose own output says whether
// connect failed) the queue is looked at once (accept4 on the listener's
// non-blocking descriptor: EAGAIN when empty).
func accepted(t *testing.T, ln *net.TCPListener, expect bool) bool {
	t.Helper()
	if expect {
		ln.SetDeadline(time.Now().Add(time.Minute))
		c, err := ln.Accept()
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	rc, err := ln.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	got := false
	rc.Control(func(fd uintptr) {
		if nfd, _, err := unix.Accept4(int(fd), unix.SOCK_CLOEXEC); err == nil {
			unix.Close(nfd)
			got = true
		}
	})
	return got
}

// noEffects is what a sandboxed run must leave: nothing.
var noEffects = effects{outside: "exit 0", chmod: 0o644, fchmodat: 0o644}

// tiocstiPlain is TIOCSTI's outcome on the controlling terminal without
// the sandbox. It differs by user and machine: with
// dev.tty.legacy_tiocsti=0 only CAP_SYS_ADMIN may inject (EIO otherwise);
// with 1, anyone may on the controlling terminal (which is why the test
// makes the pty the controlling one: as nobody on another terminal it
// would be EPERM). Root in CI has CAP_SYS_ADMIN.
func tiocstiPlain(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/dev/tty/legacy_tiocsti")
	legacy := err != nil || strings.TrimSpace(string(b)) != "0" // before 6.2 there is no switch: allowed
	if os.Geteuid() == 0 || legacy {
		return ok
	}
	return "EIO"
}

// attemptLines is the victim's output for the six attempts of esc.h.
func attemptLines(who string, results ...string) string {
	var b strings.Builder
	for i, what := range []string{"socket", "connect", "kill", "chmod", "fchmodat", "ioctl"} {
		fmt.Fprintf(&b, "%s %s=%s\n", who, what, results[i])
	}
	return b.String()
}

func plainEffects(t *testing.T) effects {
	e := effects{connected: true, outside: "SIGTERM", chmod: 0o600, fchmodat: 0o600}
	if tiocstiPlain(t) == ok {
		e.injected = "x"
	}
	return e
}

// violationLines are the command's lines for the six attempts made after
// the entry point (cmd/pledge/diag.go renders them).
func (w *relabelWorld) violationLines() []string {
	q := func(s string) string { return regexp.QuoteMeta(strconv.Quote(s)) }
	return []string{
		`pledge: victim\[\d+\] socket\(AF_INET, SOCK_STREAM\) needs promise "inet"`,
		`pledge: victim\[\d+\] connect\(\) needs promise "inet"`,
		`pledge: victim\[\d+\] kill\(` + strconv.Itoa(w.outside.Process.Pid) + `, SIGTERM\) needs promise "proc"`,
		`pledge: victim\[\d+\] chmod\(` + q(w.chmod) + `, 0600\) needs promise "fattr"`,
		`pledge: victim\[\d+\] fchmodat\(` + q(w.fchmodat) + `, 0600\) needs promise "fattr"`,
		`pledge: victim\[\d+\] ioctl\(0, TIOCSTI\) is not allowed by any promise`,
	}
}

func wantEffects(t *testing.T, got, want effects) {
	t.Helper()
	if got != want {
		t.Errorf("effects outside the sandbox: got %+v, want %+v", got, want)
	}
}

// TestSupervisorEscapeRelabel: libevil.so's constructor (run before the
// victim's entry point, in the start-up window) stacks a filter answering
// socket, connect, kill, chmod, fchmodat and ioctl with
// SECCOMP_RET_TRACE|tag. When several filters trace, the kernel reports
// the newest filter's data, so the supervisor sees the program's tag
// instead of its own. Whatever the tag, the calls are violations of
// "stdio": during start-up each fails with EPERM and prints nothing
// without --verbose, and with -k the first kills (SIGSYS, status 159);
// after the entry point (mode relabel-main: main() attempts under the
// constructor's filter) each fails with EPERM and one line. Plainly every
// attempt works and is seen from outside.
func TestSupervisorEscapeRelabel(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	for _, mode := range []string{"relabel", "relabel-main"} {
		t.Run(mode+"/plain", func(t *testing.T) {
			t.Parallel()
			w := newRelabelWorld(t)
			r := runEsc(t, w.spec(nil, mode, "none", p))
			who := "ctor"
			if mode == "relabel-main" {
				who = "main"
			}
			r.want(t, 0, "ctor relabel=none\n"+attemptLines(who, ok, ok, ok, ok, ok, tiocstiPlain(t))+"main ran\n")
			wantEffects(t, w.observe(t, true), plainEffects(t))
		})
	}
	eperm := []string{"EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM"}
	for _, tag := range relabelTags {
		t.Run("tag="+tag, func(t *testing.T) {
			t.Run("start-up", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-p", "stdio", "-v", "r:" + w.veil}, "relabel", tag, p))
				r.want(t, 0, "ctor relabel=ok\n"+attemptLines("ctor", eperm...)+"main ran\n")
				r.wantLines(t) // start-up denials: only --verbose prints them
				wantEffects(t, w.observe(t, false), noEffects)
			})
			t.Run("start-up-kill", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-k", "-p", "stdio", "-v", "r:" + w.veil}, "relabel", tag, p))
				r.want(t, 128+int(unix.SIGSYS), "ctor relabel=ok\n")
				wantEffects(t, w.observe(t, false), noEffects)
			})
			t.Run("main", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-p", "stdio", "-v", "r:" + w.veil}, "relabel-main", tag, p))
				r.want(t, 0, "ctor relabel=ok\n"+attemptLines("main", eperm...)+"main ran\n")
				r.wantLines(t, w.violationLines()...)
				wantEffects(t, w.observe(t, false), noEffects)
			})
			t.Run("main-kill", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-k", "-p", "stdio", "-v", "r:" + w.veil}, "relabel-main", tag, p))
				r.want(t, 128+int(unix.SIGSYS), "ctor relabel=ok\n")
				r.wantLines(t, w.violationLines()[0])
				wantEffects(t, w.observe(t, false), noEffects)
			})
		})
	}
}

// ---- B: the start-up window ------------------------------------------------

// loaderCase is one attack on the start-up window: the victim in mode,
// plainly and under the command's flags (each with a -v r: veil of the
// secret directory), with the exact output of each.
type loaderCase struct {
	name   string
	flags  []string // the command's flags before -v
	argv   []string // after the victim
	env    func(dir, secret string) []string
	stdin  func(t *testing.T) *os.File
	plain  string
	fixed  string
	stderr string // a line ld.so prints under the command (fixed), if any
	listen bool   // ESC_CONNECT: a listener that must see a connection plainly only
}

func loaderCases(t *testing.T, p escapeProgs) []loaderCase {
	openFile := func(path string) func(t *testing.T) *os.File {
		return func(t *testing.T) *os.File {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}
	}
	chain := func(result string) string {
		var b strings.Builder
		for n := 50; n >= 0; n-- {
			fmt.Fprintf(&b, "image %d open=%s\n", n, result)
		}
		return b.String() + "chain done\n"
	}
	eb := fmt.Sprintf("ESC_ENTRY_BYTE=%#x", entryByte(t, p.victim))
	return []loaderCase{
		// B1: the constructor opens a file that is none of the image's
		// own (Landlock allows it: only the window's rule refuses).
		{name: "open", flags: []string{"-p", "stdio"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=open", "ESC_SECRET=" + s} },
			plain: "ctor open=ok secret=top-secret\nmain ran\n",
			fixed: "ctor open=EACCES\nmain ran\n"},
		// B2: a constructor that never returns keeps the window open:
		// every open is refused all the same.
		{name: "never-returns", flags: []string{"-p", "stdio"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=openloop", "ESC_SECRET=" + s} },
			plain: "ctor open[0]=ok\nctor opens=200\n",
			fixed: "ctor open[0]=EACCES\nctor opens=200\n"},
		// B3: the constructor removes the supervisor's int3 (page made
		// RW, the original byte written back, page made RX again) and
		// runs the program's loop itself: the process never leaves
		// start-up, and still gets only its own files. mprotect RX of
		// the executable's own text page is a map of the image's own file,
		// which the window allows (ld.so does the same for text
		// relocations); mprotect RW is not a loader operation at all.
		{name: "int3-removed", flags: []string{"-p", "stdio"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=int3", "ESC_SECRET=" + s, eb} },
			plain: "ctor entry=clean\nctor open=ok secret=top-secret\n",
			fixed: "ctor entry=int3\nctor mprotect-rw=ok\nctor mprotect-rx=ok\nctor unbreak=ok\nctor open=EACCES\n"},
		// B4: main() re-execs itself with LD_AUDIT naming a module the
		// veil lets it read: ld.so cannot open it, says so and goes on.
		{name: "ld-audit", flags: []string{"-p", "stdio exec"},
			env: func(d, _ string) []string {
				return []string{"ESC_MODE=audit", "ESC_AUDIT=" + filepath.Join(d, "audit.so")}
			},
			plain:  "first image\nAUDIT-MARKER\nsecond image ran\n",
			fixed:  "first image\nsecond image ran\n",
			stderr: "cannot be loaded as audit interface"},
		// B5: with no writable unveil, main() copies attacker bytes
		// (stdin) into a memfd (MFD_NOEXEC_SEAL, allowed under
		// "stdio exec") and re-execs itself with LD_PRELOAD naming it;
		// the preload's constructor would relabel socket and connect and
		// reach the test's listener. It is not loaded.
		{name: "memfd-preload", flags: []string{"-p", "stdio exec"},
			env:    func(_, _ string) []string { return []string{"ESC_MODE=preload", "ESC_SO_FD=0"} },
			stdin:  openFile(p.preload),
			listen: true,
			plain:  "first image memfd=ok\npreload ran\npreload relabel=none\npreload socket=ok\npreload connect=ok\nsecond image ran\n",
			fixed:  "first image memfd=ok\nsecond image ran\n",
			stderr: "from LD_PRELOAD cannot be preloaded"},
		// B6: 50 re-execs, each image's constructor opening the secret:
		// every image gets its own window, none grants the secret, and the
		// chain completes.
		{name: "exec-chain", flags: []string{"-p", "stdio exec"}, argv: []string{"50"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=chain", "ESC_SECRET=" + s} },
			plain: chain("ok secret=top-secret"),
			fixed: chain("EACCES")},
	}
}

// TestSupervisorEscapeLoaderWindow: between an exec and the new image's
// entry point the command's supervisor grants loader operations; code that
// runs there (a DT_NEEDED library's constructor, LD_AUDIT and LD_PRELOAD
// modules) must get only what the image's own loading needs: opens of
// other files fail with EACCES, maps of them as code with EPERM.
func TestSupervisorEscapeLoaderWindow(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	for _, c := range loaderCases(t, p) {
		for _, side := range []string{"plain", "command"} {
			t.Run(c.name+"/"+side, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				secret := secretDir(t, dir, p)
				s := escSpec{argv: append([]string{p.victim}, c.argv...), env: c.env(dir, secret)}
				if side == "command" {
					s.pledge = append(append([]string{}, c.flags...), "-v", "r:"+dir)
				}
				if c.stdin != nil {
					s.stdin = c.stdin(t)
				}
				var ln *net.TCPListener
				if c.listen {
					var err error
					ln, err = net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
					if err != nil {
						t.Fatal(err)
					}
					defer ln.Close()
					tag := "2" // the loader tag, as the preload would pick
					if side == "plain" {
						tag = "none"
					}
					s.env = append(s.env, "ESC_CONNECT="+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), "ESC_TAG="+tag)
				}
				r := runEsc(t, s)
				if side == "plain" {
					r.want(t, 0, c.plain)
				} else {
					r.want(t, 0, c.fixed)
					if c.stderr != "" && !strings.Contains(r.stderr, c.stderr) {
						t.Errorf("ld.so should say %q:\n%s", c.stderr, r)
					}
				}
				if ln != nil {
					if connected := accepted(t, ln, side == "plain"); connected != (side == "plain") {
						t.Errorf("listener connected=%v, want %v", connected, side == "plain")
					}
				}
			})
		}
	}
}

// TestSupervisorEscapeLoaderWindowLibrary: the same window under the
// library's exec supervisor. A child unveils what the victim needs,
// pledges "stdio exec" with execpromises "stdio" and execs it. The
// constructor's open of the secret fails with EACCES (B1), and a preload
// handed in as a memfd is not loaded (B5; here the child itself makes the
// memfd, and the preload would read the secret). Under the library a map
// as code that the window refuses would kill (SIGSYS), as the execpromises
// filter does; a refused open is EACCES.
func TestSupervisorEscapeLoaderWindowLibrary(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	for _, tc := range []struct {
		name         string
		plain, fixed string
	}{
		{"open", "ctor open=ok secret=top-secret\nmain ran\n", "ctor open=EACCES\nmain ran\n"},
		{"memfd-preload", "preload ran\npreload open=ok secret=top-secret\nsecond image ran\n", "second image ran\n"},
	} {
		for _, side := range []string{"plain", "sandboxed"} {
			t.Run(tc.name+"/"+side, func(t *testing.T) {
				t.Parallel()
				// The child gets the directory from the environment
				// (sandboxtest.TempDir's variable is shared by parallel
				// subtests).
				dir := os.Getenv(envLibraryDir)
				if !sandboxtest.InChild() {
					dir = t.TempDir()
					secretDir(t, dir, p)
				}
				secret := filepath.Join(dir, "secret")
				res := sandboxtest.Run(t, func() { libraryVictim(tc.name, side == "sandboxed", p, dir, secret) }, envLibraryDir+"="+dir)
				want := tc.plain
				if side == "sandboxed" {
					want = tc.fixed
				}
				if res.Signal != 0 || res.ExitCode != 0 || res.Stdout != want {
					t.Errorf("want exit 0 and stdout\n%s\ngot %s", want, res)
				}
			})
		}
	}
}

// envLibraryDir passes the secret directory to the child.
const envLibraryDir = "COMPAT_ESCAPE_LIBRARY_DIR"

// libraryVictim is the child of TestSupervisorEscapeLoaderWindowLibrary:
// it sandboxes itself (when sandboxed) and execs the victim.
func libraryVictim(name string, sandboxed bool, p escapeProgs, dir, secret string) {
	fail := func(what string, err error) {
		fmt.Printf("sandboxtest: setup=%s\n", sandboxtest.ErrnoName(err))
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(3)
	}
	so, err := os.ReadFile(p.preload)
	if err != nil {
		fail("read preload", err)
	}
	if sandboxed {
		for _, u := range []struct{ path, perm string }{
			{"/usr", "rx"}, // the interpreter and libc (/lib64 and /lib are links into /usr)
			{"/etc/ld.so.cache", "r"},
			{filepath.Dir(p.victim), "rx"},
			{dir, "r"},
		} {
			if err := pledge.Unveil(u.path, u.perm); err != nil {
				fail("unveil "+u.path, err)
			}
		}
		if err := pledge.Pledge("stdio exec", "stdio"); err != nil {
			fail("pledge", err)
		}
	}
	argv := []string{p.victim}
	env := append(os.Environ(), "ESC_SECRET="+secret)
	switch name {
	case "open":
		env = append(env, "ESC_MODE=open")
	case "memfd-preload":
		// memfd_create needs MFD_NOEXEC_SEAL once exec is promised; not
		// close-on-exec: the victim's ld.so opens it by /proc/self/fd.
		fd, err := unix.MemfdCreate("preload", unix.MFD_NOEXEC_SEAL)
		if err != nil {
			fail("memfd_create", err)
		}
		if _, err := unix.Write(fd, so); err != nil {
			fail("write memfd", err)
		}
		argv = append(argv, "2")
		env = append(env, "ESC_MODE=preload", fmt.Sprintf("LD_PRELOAD=/proc/self/fd/%d", fd))
	}
	os.Stdout.Sync()
	fail("exec", syscall.Exec(p.victim, argv, env))
}
