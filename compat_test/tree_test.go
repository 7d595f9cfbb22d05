package compat_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/pledge"
)

// waitingProbe starts the probe before the sandbox, blocked on its stdin;
// the op then wakes it and reports what its operation gave.
func waitingProbe(args ...string) Op {
	return Op{
		Name: fmt.Sprintf("probe %v started before the sandbox", args),
		Pre: func(fx *Fixture) error {
			cmd := exec.Command(os.Getenv(envProbe), args...)
			w, err := cmd.StdinPipe()
			if err != nil {
				return err
			}
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			fx.Procs["early"], fx.Pipes["early"] = cmd, w
			return cmd.Start()
		},
		Fn: func(fx *Fixture) error {
			if _, err := fx.Pipes["early"].Write([]byte{1}); err != nil {
				return fmt.Errorf("setup: %v", err)
			}
			return fx.Procs["early"].Wait()
		},
		C: append([]string{"waiting-probe", "-", strconv.Itoa(len(args))}, args...),
	}
}

// treeCases: which processes a sandbox covers. "Covered" means: every
// process forked after the commit by the sandboxed process or its
// descendants. A process forked before the commit is not covered, on
// OpenBSD (pledge and unveil act on the calling process) as on Linux
// (seccomp filters and Landlock domains are inherited at fork, never
// pushed into an existing process).
var treeCases = []Case{
	// child and grandchild forked after the commit: both covered (the
	// grandchild's socket kills it; the probe passes the signal up)
	{ID: "tree/after/grandchild", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("stdio proc")},
		Op: probeOp("d/x", "tree"), Plain: ok, OpenBSD: "child:SIGSYS"},
	// forked before the commit: not covered
	{ID: "tree/before/pledge", Sandbox: pledged("stdio"), Op: waitingProbe("wait-socket"), Plain: ok, OpenBSD: ok},
	{ID: "tree/before/unveil", Sandbox: unveiled("d", "r"), Op: waitingProbe("wait-open", "e/h"), Plain: ok, OpenBSD: ok},
	// a thread started before the commit is covered: seccomp TSYNC and
	// Landlock's all-thread restrict reach every thread of the process
	{ID: "tree/thread-before/pledge", Sandbox: pledged("stdio"), Op: onEarlyThread(socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET")), Plain: ok, OpenBSD: killed},
	{ID: "tree/thread-before/unveil", Sandbox: unveiled("d", "r"), Op: onEarlyThread(readOp("e/h")), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
}

// onEarlyThread runs op on a goroutine locked to its own OS thread, started
// before the sandbox.
func onEarlyThread(op Op) Op {
	var start = make(chan *Fixture)
	var done = make(chan error)
	return Op{
		Name: op.Name + " on a thread started before the sandbox",
		Pre: func(*Fixture) error {
			go func() {
				runtime.LockOSThread()
				fx := <-start
				done <- op.Fn(fx)
			}()
			return nil
		},
		Fn: func(fx *Fixture) error {
			start <- fx
			return <-done
		},
		C: cSub([]string{"early-thread"}, op),
	}
}

func TestProcessTree(t *testing.T) { runCases(t, treeCases) }

// TestConcurrentCommit unveils and pledges while 16 goroutines, each locked
// to its own OS thread, keep opening a path inside and one outside the
// veil. None may open the outside path once the commit has returned, the
// inside path must keep working, and everything finishes: the loops are
// bounded (each goroutine does a fixed number of opens after the commit),
// so a deadlock shows as the test binary's timeout, not as a timed failure.
func TestConcurrentCommit(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	sandboxtest.Require(t, "seccomp")
	base := ""
	if !sandboxtest.InChild() {
		base = t.TempDir()
	}
	res := sandboxtest.Run(t, func() {
		fx, err := newFixture(os.Getenv(envBase))
		if err != nil {
			fmt.Println("sandboxtest: setup=" + sandboxtest.ErrnoName(err))
			return
		}
		const workers, after = 16, 50
		var committed atomic.Bool
		var escapes, denied, insideFailures, started atomic.Int64
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				first := true
				for n := 0; n < after; {
					wasCommitted := committed.Load()
					outErr := readOp("e/h").Fn(fx)
					inErr := readOp("d/f").Fn(fx)
					if first {
						first = false
						if started.Add(1) == workers {
							close(ready)
						}
					}
					if !wasCommitted {
						continue
					}
					n++
					switch {
					case outErr == nil:
						escapes.Add(1)
					case sandboxtest.ErrnoName(outErr) == "EACCES":
						denied.Add(1)
					}
					if inErr != nil {
						insideFailures.Add(1)
					}
				}
			}()
		}
		<-ready
		err = pledge.Unveil(fx.path("d"), "r")
		if err == nil {
			err = pledge.PledgePromises("stdio rpath")
		}
		committed.Store(true)
		sandboxtest.Report("commit", err)
		wg.Wait()
		fmt.Printf("sandboxtest: escapes=%d\nsandboxtest: denied=%d\nsandboxtest: inside-failures=%d\n",
			escapes.Load(), denied.Load(), insideFailures.Load())
	}, envBase+"="+base)
	res.WantExit(t, 0)
	res.WantOutcome(t, "commit", ok)
	res.WantOutcome(t, "escapes", "0")
	res.WantOutcome(t, "denied", "800")
	res.WantOutcome(t, "inside-failures", "0")
}
