// Command peers runs the project's performance comparison (issue 14) in
// one process tree, the configurations interleaved round after round so
// that the machine's load falls on all of them alike:
//
//   - a static C loop timing getppid, read, fcntl(F_GETFL), ioctl(FIONREAD),
//     openat+close and mmap+munmap, bare, under a one-instruction ALLOW
//     filter (the floor of a syscall allowed whatever its arguments: the
//     kernel caches that answer and runs no filter), under a two-
//     instruction filter the kernel must run on every call (the floor of
//     a syscall whose arguments are checked), under the pledge command
//     with two promise sets, and under firejail, landrun and bwrap with a
//     seccomp filter when they are installed;
//
//   - the start-up of /bin/true and of a dynamic program with about ten
//     libraries under each launcher.
//
//     apt-get install firejail bubblewrap     # the peers (landrun: when installed)
//     cd bench && go run ./peers [-rounds 9] [-n 200000] [-starts 100]
//
// It prints Markdown tables: median ns/op with the ratios to the floor and
// to the run floor, and start-up min and mean in ms. Not run by CI (too slow and noisy).
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

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

type launcher struct {
	name string
	argv func(prog string, args ...string) []string // nil: not installed
	fds  []string                                   // files to pass as fd 3...
}

func main() {
	rounds := flag.Int("rounds", 9, "rounds, configurations interleaved")
	n := flag.Int("n", 200000, "iterations per operation")
	starts := flag.Int("starts", 100, "start-ups per launcher per round")
	flag.Parse()
	dir, err := os.MkdirTemp("", "peers-")
	check(err)
	defer os.RemoveAll(dir)
	sysb := filepath.Join(dir, "syscalls")
	floor := filepath.Join(dir, "floor")
	pledge := filepath.Join(dir, "pledge")
	check(run("gcc", "-O2", "-static", "-o", sysb, "cbench/syscalls.c"))
	check(run("gcc", "-O2", "-o", floor, "cbench/floor.c"))
	check(run("go", "build", "-o", pledge, "../cmd/pledge"))
	bpf := filepath.Join(dir, "filter.bpf")
	// bwrap loads the filter and then execs the program, whose loader maps
	// its libraries: the filter holds exec and prot_exec too; and "error",
	// so that a call outside the promises fails (ENOSYS) instead of
	// killing, as the pledge command without -k denies and goes on.
	check(writeFilter(bpf, "stdio rpath wpath exec prot_exec error"))
	file := filepath.Join(dir, "f")
	check(os.WriteFile(file, []byte("x"), 0o644))

	ls := launchers(floor, pledge, bpf)
	ops := map[string]map[string][]float64{}
	var order []string
	for range *rounds {
		for _, l := range ls {
			if l.argv == nil {
				continue
			}
			out, err := command(l, l.argv(sysb, strconv.Itoa(*n), file)).Output()
			if err != nil {
				fmt.Fprintf(os.Stderr, "peers: %s: %v\n", l.name, err)
				continue
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				i := strings.LastIndexByte(line, ' ')
				v, err := strconv.ParseFloat(line[i+1:], 64)
				if i < 0 || err != nil {
					continue
				}
				op := line[:i]
				if ops[op] == nil {
					ops[op] = map[string][]float64{}
					order = append(order, op)
				}
				ops[op][l.name] = append(ops[op][l.name], v)
			}
		}
	}
	printOps(ls, order, ops, *rounds, *n)
	dyn := dynamicProgram()
	for _, prog := range []string{"/bin/true", dyn} {
		if prog != "" {
			printStarts(ls, prog, *rounds, *starts)
		}
	}
}

// launchers are the configurations, in table order.
func launchers(floor, pledge, bpf string) []launcher {
	installed := func(name string) bool { _, err := exec.LookPath(name); return err == nil }
	ls := []launcher{
		{name: "bare", argv: func(p string, a ...string) []string { return append([]string{p}, a...) }},
		{name: "floor", argv: func(p string, a ...string) []string { return append([]string{floor, p}, a...) }},
		{name: "floor, run", argv: func(p string, a ...string) []string { return append([]string{floor, "-run", p}, a...) }},
		{name: `pledge "stdio rpath wpath" -v r:/ -v rw:/dev/null`, argv: func(p string, a ...string) []string {
			return append([]string{pledge, "-p", "stdio rpath wpath", "-v", "r:/", "-v", "rw:/dev/null", "--", p}, a...)
		}},
		{name: `pledge "stdio rpath" -V`, argv: func(p string, a ...string) []string {
			return append([]string{pledge, "-V", "-p", "stdio rpath", "--", p}, a...)
		}},
		{name: "firejail", argv: nil},
		{name: "landrun --ro /", argv: nil},
		{name: "bwrap --seccomp", argv: nil, fds: []string{bpf}},
	}
	if installed("firejail") {
		ls[5].argv = func(p string, a ...string) []string {
			return append([]string{"firejail", "--quiet", "--noprofile", "--", p}, a...)
		}
	}
	if installed("landrun") {
		ls[6].argv = func(p string, a ...string) []string {
			return append([]string{"landrun", "--ro", "/", "--rox", "/", "--", p}, a...)
		}
	}
	if installed("bwrap") {
		ls[7].argv = func(p string, a ...string) []string {
			return append([]string{"bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--seccomp", "3", "--", p}, a...)
		}
	}
	return ls
}

// writeFilter writes promises' filter (violations kill) as raw BPF, the
// form bwrap's --seccomp reads.
func writeFilter(path, promises string) error {
	p, err := promise.Parse(promises)
	if err != nil {
		return err
	}
	f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{Pid: 1})
	if err != nil {
		return err
	}
	prog, err := f.Compile()
	if err != nil {
		return err
	}
	var b []byte
	for _, ins := range prog {
		b = append(b, byte(ins.Code), byte(ins.Code>>8), ins.Jt, ins.Jf,
			byte(ins.K), byte(ins.K>>8), byte(ins.K>>16), byte(ins.K>>24))
	}
	return os.WriteFile(path, b, 0o644)
}

func command(l launcher, argv []string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	for _, f := range l.fds {
		fh, err := os.Open(f)
		check(err)
		cmd.ExtraFiles = append(cmd.ExtraFiles, fh)
	}
	return cmd
}

// dynamicProgram is an installed program with about ten shared libraries
// that runs briefly with --version; "" when none is found.
func dynamicProgram() string {
	for _, p := range []string{"/usr/bin/curl", "/usr/bin/ssh", "/usr/bin/git", "/usr/bin/python3"} {
		out, err := exec.Command("ldd", p).Output()
		if err == nil && strings.Count(string(out), "=>") >= 8 {
			return p
		}
	}
	return ""
}

func printOps(ls []launcher, order []string, ops map[string]map[string][]float64, rounds, n int) {
	fmt.Printf("Syscalls: medians of %d interleaved rounds of %d iterations, ns/op (ratio to the floor; to the run floor).\n\n", rounds, n)
	header(ls, "op")
	for _, op := range order {
		fmt.Printf("| %s |", op)
		floor, runFloor := median(ops[op]["floor"]), median(ops[op]["floor, run"])
		for _, l := range ls {
			if l.argv == nil {
				continue
			}
			v := ops[op][l.name]
			switch {
			case len(v) == 0:
				fmt.Print(" — |")
			case l.name == "bare" || l.name == "floor" || l.name == "floor, run":
				fmt.Printf(" %.0f |", median(v))
			default:
				fmt.Printf(" %.0f (%.2f; %.2f) |", median(v), median(v)/floor, median(v)/runFloor)
			}
		}
		fmt.Println()
	}
	fmt.Println()
}

func printStarts(ls []launcher, prog string, rounds, starts int) {
	times, failed := map[string][]float64{}, map[string]int{}
	for range rounds {
		for _, l := range ls {
			if l.argv == nil || l.name == "floor" || l.name == "floor, run" {
				continue
			}
			for range starts {
				args := []string{}
				if prog != "/bin/true" {
					args = []string{"--version"}
				}
				cmd := command(l, l.argv(prog, args...))
				t0 := time.Now()
				if err := cmd.Run(); err != nil {
					failed[l.name]++
					if failed[l.name] == 1 {
						fmt.Fprintf(os.Stderr, "peers: %s %s: %v (its start-ups are left out)\n", l.name, prog, err)
					}
					continue
				}
				times[l.name] = append(times[l.name], float64(time.Since(t0).Microseconds())/1000)
			}
		}
	}
	fmt.Printf("Start-up of `%s`: min / mean of %d runs, ms.\n\n", prog, rounds*starts)
	fmt.Println("| launcher | min | mean |\n|---|---|---|")
	for _, l := range ls {
		v := times[l.name]
		if len(v) == 0 {
			continue
		}
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		fmt.Printf("| %s | %.2f | %.2f |\n", l.name, slices.Min(v), sum/float64(len(v)))
	}
	fmt.Println()
}

func header(ls []launcher, first string) {
	fmt.Printf("| %s |", first)
	cols := 0
	for _, l := range ls {
		if l.argv != nil {
			fmt.Printf(" %s |", l.name)
			cols++
		}
	}
	fmt.Print("\n|---|" + strings.Repeat("---|", cols) + "\n")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %v\n%s", name, args, err, out)
	}
	return nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}
