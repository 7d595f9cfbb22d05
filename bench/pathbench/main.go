// Command pathbench measures what the path promises cost (issue 9): the
// same operations bare, under a one-instruction ALLOW filter (the floor of
// any filter), under pledges with and without a veil, and under
// go-landlock (the library landrun is built on) with the same one rule.
// Sandboxing is irreversible, so each configuration runs in a child of one
// run of this program, the configurations interleaved over several
// rounds; the table gives medians in ns/op and the ratios asked for.
//
//	cd bench && go run ./pathbench [-n 200000] [-rounds 9]
//
// Not run by CI (too slow and noisy); docs/unveil.md carries its output.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	gl "github.com/landlock-lsm/go-landlock/landlock"
	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/seccomp"
)

// configs are the sandboxes, applied in the child before the loops.
var configs = []struct {
	name  string
	apply func(dir string) error
}{
	{"bare", func(string) error { return nil }},
	{"floor", func(string) error {
		_, err := seccomp.Load(seccomp.Program{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}, seccomp.FlagTSync)
		return err
	}},
	{"stdio rpath", func(string) error { return pledge.PledgePromises("stdio rpath") }},
	{"stdio rpath wpath", func(string) error { return pledge.PledgePromises("stdio rpath wpath") }},
	{"stdio", func(string) error { return pledge.PledgePromises("stdio") }},
	{"go-landlock r:dir", func(dir string) error { return gl.V7.RestrictPaths(gl.RODirs(dir)) }},
	{"unveil r:dir", func(dir string) error {
		if err := pledge.Unveil(dir, "r"); err != nil {
			return err
		}
		return pledge.UnveilBlock()
	}},
	{"unveil r:dir + stdio rpath", func(dir string) error {
		if err := pledge.Unveil(dir, "r"); err != nil {
			return err
		}
		return pledge.PledgePromises("stdio rpath")
	}},
}

// ops are the operations, each one iteration; ok is false for an op the
// configuration does not allow (it is then not measured).
var ops = []struct {
	name string
	run  func(e *env) error
}{
	{"openat+close file", func(e *env) error { return openClose(e.file) }},
	{"openat+close /dev/null", func(*env) error { return openClose(os.DevNull) }},
	{"stat", func(e *env) error { var st unix.Stat_t; return unix.Stat(e.file, &st) }},
	{"read", func(e *env) error { _, err := unix.Read(e.zero, e.buf[:]); return err }},
	{"write", func(e *env) error { _, err := unix.Write(e.null, e.buf[:]); return err }},
	{"fcntl(F_GETFL)", func(e *env) error { _, err := unix.FcntlInt(uintptr(e.null), unix.F_GETFL, 0); return err }},
}

type env struct {
	file       string
	zero, null int
	buf        [1]byte
}

func openClose(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

func main() {
	child := flag.String("child", "", "run one configuration (internal)")
	n := flag.Int("n", 200000, "iterations per operation")
	rounds := flag.Int("rounds", 9, "rounds, configurations interleaved")
	dir := flag.String("dir", "", "directory with the test file (internal)")
	flag.Parse()
	if *child != "" {
		runChild(*child, *dir, *n)
		return
	}
	d, err := os.MkdirTemp("", "pathbench-")
	check(err)
	defer os.RemoveAll(d)
	check(os.WriteFile(filepath.Join(d, "f"), []byte("x"), 0o644))
	exe, err := os.Executable()
	check(err)
	res := map[string]map[string][]float64{}
	for r := 0; r < *rounds; r++ {
		for _, c := range configs {
			out, err := exec.Command(exe, "-child", c.name, "-dir", d, "-n", strconv.Itoa(*n)).Output()
			check(err)
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				op, v, _ := strings.Cut(line, "\t")
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					continue
				}
				if res[c.name] == nil {
					res[c.name] = map[string][]float64{}
				}
				res[c.name][op] = append(res[c.name][op], f)
			}
		}
	}
	print(res, *n, *rounds)
}

// runChild applies configuration name and prints "op\tns" per operation
// it allows.
func runChild(name, dir string, n int) {
	e := &env{file: filepath.Join(dir, "f")}
	var err error
	e.zero, err = unix.Open("/dev/zero", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	check(err)
	e.null, err = unix.Open(os.DevNull, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	check(err)
	for _, c := range configs {
		if c.name == name {
			check(c.apply(dir))
		}
	}
	for _, o := range ops {
		if o.name == "stat" && !strings.Contains(name, "rpath") && name != "bare" && name != "floor" && !strings.HasPrefix(name, "go-landlock") && name != "unveil r:dir" {
			continue // stat needs rpath: it would kill
		}
		if o.run(e) != nil {
			continue // refused here (EACCES): not measured
		}
		start := time.Now()
		for range n {
			o.run(e)
		}
		fmt.Printf("%s\t%.1f\n", o.name, float64(time.Since(start).Nanoseconds())/float64(n))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func print(res map[string]map[string][]float64, n, rounds int) {
	fmt.Printf("Medians of %d interleaved rounds of %d iterations, ns/op (pathbench); ratio to the floor, or to go-landlock for the one-rule veil.\n\n", rounds, n)
	fmt.Print("| op |")
	for _, c := range configs {
		fmt.Printf(" %s |", c.name)
	}
	fmt.Print("\n|---|")
	for range configs {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, o := range ops {
		fmt.Printf("| %s |", o.name)
		floor := median(res["floor"][o.name])
		gll := res["go-landlock r:dir"][o.name]
		for _, c := range configs {
			v := res[c.name][o.name]
			if len(v) == 0 {
				fmt.Print(" — |")
				continue
			}
			m := median(v)
			switch {
			case c.name == "bare" || c.name == "floor" || c.name == "go-landlock r:dir":
				fmt.Printf(" %.0f |", m)
			case strings.HasPrefix(c.name, "unveil") && len(gll) > 0:
				fmt.Printf(" %.0f (%.2f× go-landlock) |", m, m/median(gll))
			default:
				fmt.Printf(" %.0f (%.2f× floor) |", m, m/floor)
			}
		}
		fmt.Println()
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pathbench:", err)
		os.Exit(1)
	}
}
