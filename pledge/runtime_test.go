//go:build linux

package pledge

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// The Go runtime must keep running under the promises a Go program is
// expected to pledge (issue 3, "Enough"). Each case pledges in a child and
// then exercises the runtime; any syscall the table misses kills the child
// with SIGSYS, which WantExit reports with the child's output.

// TestRuntimeSurvivesStdio: threads, GC, timers, channels, sleeping, async
// preemption (tgkill(getpid(), tid, SIGURG)), growing maps and stacks, fmt and
// os/signal under "stdio" alone.
func TestRuntimeSurvivesStdio(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	res := sandboxtest.Run(t, func() {
		runtime.GOMAXPROCS(4)
		mustPledge("stdio", "")
		exerciseRuntime()
		fmt.Println("runtime ok")
	})
	res.WantExit(t, 0)
	if !strings.Contains(res.Stdout, "runtime ok") {
		t.Errorf("missing output:\n%s", res)
	}
}

func exerciseRuntime() {
	// 100 goroutines on up to 4 threads talking over channels, each
	// growing its own map and its stack.
	results := make(chan int)
	for i := 0; i < 100; i++ {
		go func(i int) {
			m := make(map[int][]byte)
			for j := 0; j < 2000; j++ {
				m[j] = make([]byte, 64)
			}
			results <- len(m) + recurse(200)
		}(i)
	}
	for i := 0; i < 100; i++ {
		<-results
	}

	// Async preemption: goroutines spinning without a preemption point
	// must still be stopped for GC (the runtime signals their threads).
	var stop atomic.Bool
	var spinning sync.WaitGroup
	for i := 0; i < 4; i++ {
		spinning.Add(1)
		go func() {
			defer spinning.Done()
			n := 0
			for !stop.Load() {
				n++
			}
			_ = n
		}()
	}
	for i := 0; i < 5; i++ {
		runtime.GC()
	}
	debug.FreeOSMemory() // madvise
	stop.Store(true)
	spinning.Wait()

	// Timers and sleeping.
	time.Sleep(2 * time.Millisecond)
	<-time.After(time.Millisecond)
	tk := time.NewTicker(time.Millisecond)
	for i := 0; i < 3; i++ {
		<-tk.C
	}
	tk.Stop()

	// os/signal: a signal to itself is delivered to the handler.
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	<-ch
	signal.Stop(ch)

	// A big allocation (mmap) and a finalizer.
	big := make([]byte, 64<<20)
	big[len(big)-1] = 1
	runtime.KeepAlive(big)
	fmt.Printf("%d goroutines done\n", 100)
}

func recurse(n int) int {
	var pad [64]byte
	if n == 0 {
		return int(pad[0])
	}
	return recurse(n-1) + int(pad[n%64])
}

// TestRuntimeHTTPLoopback: a net/http server and client on 127.0.0.1 under
// "stdio inet dns". The listener is opened before pledging, as OpenBSD
// daemons do: Go's first Listen reads /proc/sys/net/core/somaxconn, which
// needs "rpath" (the "all after pledge" case adds it).
func TestRuntimeHTTPLoopback(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	t.Run("listen-then-pledge", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			must("listen", err)
			mustPledge("stdio inet dns", "")
			serveAndGet(ln)
		})
		res.WantExit(t, 0)
		res.WantOutcome(t, "get", "ok")
	})
	t.Run("all-after-pledge", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			mustPledge("stdio rpath inet dns", "")
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			must("listen", err)
			serveAndGet(ln)
		})
		res.WantExit(t, 0)
		res.WantOutcome(t, "get", "ok")
	})
}

func serveAndGet(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pledged hello")
	})}
	go srv.Serve(ln)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	var err error
	for i := 0; i < 3 && err == nil; i++ { // reuse the kept-alive connection too
		var resp *http.Response
		resp, err = client.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			var body []byte
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && string(body) != "pledged hello" {
				err = fmt.Errorf("body %q", body)
			}
		}
	}
	sandboxtest.Report("get", err)
	srv.Close()
}

// TestRuntimeFilesRpath: reading files and listing directories under
// "stdio rpath".
func TestRuntimeFilesRpath(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	if !sandboxtest.InChild() {
		for _, n := range []string{"a", "b", "c"} {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio rpath", "")
		data, err := os.ReadFile(filepath.Join(dir, "b"))
		if err == nil && string(data) != "b" {
			err = fmt.Errorf("read %q", data)
		}
		sandboxtest.Report("readfile", err)
		ents, err := os.ReadDir(dir)
		if err == nil && len(ents) != 4 {
			err = fmt.Errorf("%d entries", len(ents))
		}
		sandboxtest.Report("readdir", err)
		// The directory itself, a, b, c and sub; an error reading any of
		// them ends the walk with it.
		n := 0
		err = filepath.WalkDir(dir, func(_ string, _ os.DirEntry, err error) error { n++; return err })
		if err == nil && n != 5 {
			err = fmt.Errorf("walked %d entries, want 5", n)
		}
		sandboxtest.Report("walk", err)
		_, err = os.Stat(filepath.Join(dir, "sub"))
		sandboxtest.Report("stat", err)
		_, err = os.Lstat(filepath.Join(dir, "missing"))
		sandboxtest.Report("stat-missing", err)
		_, err = os.Getwd()
		sandboxtest.Report("getwd", err)
		_, err = os.ReadFile("/etc/passwd")
		sandboxtest.Report("etc", err)
	})
	res.WantExit(t, 0)
	for _, k := range []string{"readfile", "readdir", "walk", "stat", "getwd", "etc"} {
		res.WantOutcome(t, k, "ok")
	}
	res.WantOutcome(t, "stat-missing", "ENOENT")
}

// TestRuntimeOsExec: os/exec under "stdio rpath prot_exec proc exec".
// Programs run, their output and exit statuses come back, and os/exec's
// nil stdio opens /dev/null (a named path of every pledge). Without
// execpromises the exec'd images run unpledged, as on OpenBSD: a shell
// creates a file, which the pledger itself could not (no cpath); with
// execpromises "stdio rpath" the same shell is killed at the O_CREAT.
func TestRuntimeOsExec(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	for _, c := range []struct {
		name    string
		exec    *string
		created string
	}{
		{"null", nil, "ok"},
		{"execpromises", ptr("stdio rpath"), "error:signal: bad system call"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, "created-"+c.name)
			res := sandboxtest.Run(t, func() {
				if c.exec == nil {
					mustPledgePromises("stdio rpath prot_exec proc exec")
				} else {
					mustPledge("stdio rpath prot_exec proc exec", *c.exec)
				}
				command := func(args ...string) *exec.Cmd {
					c := exec.Command(args[0], args[1:]...)
					c.Stdout, c.Stderr = os.Stderr, os.Stderr
					return c
				}
				sandboxtest.Report("true", command("/bin/true").Run())
				out, err := exec.Command("/bin/echo", "hi").Output()
				if err == nil && string(out) != "hi\n" {
					err = fmt.Errorf("output %q", out)
				}
				sandboxtest.Report("echo", err)
				sandboxtest.Report("false", command("/bin/false").Run())
				sandboxtest.Report("nil-stdio", exec.Command("/bin/true").Run())
				sandboxtest.Report("created", command("/bin/sh", "-c", ": > "+file).Run())
			})
			res.WantExit(t, 0)
			res.WantOutcome(t, "true", "ok")
			res.WantOutcome(t, "echo", "ok")
			res.WantOutcome(t, "false", "error:exit status 1")
			res.WantOutcome(t, "nil-stdio", "ok")
			res.WantOutcome(t, "created", c.created)
			_, err := os.Stat(file)
			if exists := err == nil; exists != (c.created == "ok") {
				t.Errorf("%s exists: %v, want %v", file, exists, c.created == "ok")
			}
		})
	}
}
