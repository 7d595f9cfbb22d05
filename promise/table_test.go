//go:build linux && (amd64 || arm64)

package promise

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParsePromises(t *testing.T) {
	long := strings.Repeat("stdio ", 170) // 1020 bytes
	cases := []struct {
		in    string
		want  Set
		errno error
	}{
		{"", 0, nil},
		{"stdio", Stdio, nil},
		{"stdio rpath", Stdio | Rpath, nil},
		{"stdio  rpath   ", Stdio | Rpath, nil}, // runs and trailing spaces
		{"stdio stdio", Stdio, nil},             // duplicates
		{"prot_exec error unveil", ProtExec | Error | Unveil, nil},
		{" stdio", 0, unix.EINVAL},       // leading space: empty word
		{" ", 0, unix.EINVAL},            // only a space: one empty word
		{"stdio foo", 0, unix.EINVAL},    // unknown word
		{"stdio\trpath", 0, unix.EINVAL}, // only ' ' separates
		{"STDIO", 0, unix.EINVAL},        // case matters
		{"stdio,rpath", 0, unix.EINVAL},
		{long + "tty", Stdio | Tty, nil},                             // 1023 bytes
		{long + "ttyy", 0, unix.ENAMETOOLONG},                        // 1024 bytes
		{strings.Repeat("x", 2000), 0, unix.ENAMETOOLONG},            // length before words
		{strings.Repeat(" ", maxPromiseLen+1), 0, unix.ENAMETOOLONG}, // ditto
		{strings.Join(Names(), " "), All, nil},                       // all 36
		{strings.Join(Names(), "  ") + " ", All, nil},                // all 36, loosely
		{"rpath " + strings.Repeat("wpath ", 10), Rpath | Wpath, nil},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if !errors.Is(err, c.errno) || (c.errno == nil) != (err == nil) {
			t.Errorf("Parse(%.40q) error %v, want %v", c.in, err, c.errno)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%.40q) = %q, want %q", c.in, got, c.want)
		}
	}
	// The error names the bad word.
	if _, err := Parse("stdio bogus"); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("error %v does not name the bad word", err)
	}
}

func TestPromiseNamesAndString(t *testing.T) {
	names := Names()
	// The names OpenBSD's kernel accepts (kern_pledge.c pledgenames).
	openbsd := strings.Fields(`audio bpf chown cpath disklabel dns dpath drm error exec fattr flock
		getpw id inet mcast pf proc prot_exec ps recvfd route rpath sendfd settime stdio tape
		tmppath tty unix unveil video vminfo vmm wpath wroute`)
	got := append([]string(nil), names...)
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(openbsd, " ") {
		t.Fatalf("Names() sorted = %v\nwant %v", got, openbsd)
	}
	for i, n := range names {
		p, err := Parse(n)
		if err != nil || p != 1<<i {
			t.Errorf("Parse(%q) = %#x, %v; want bit %d", n, uint64(p), err, i)
		}
		if p.String() != n {
			t.Errorf("(%q).String() = %q", n, p.String())
		}
	}
	all := All
	if back, err := Parse(all.String()); err != nil || back != all {
		t.Errorf("round trip of all promises: %#x, %v", uint64(back), err)
	}
	if s := (Rpath | Stdio | 1<<63).String(); s != "stdio rpath" {
		t.Errorf("String = %q, want canonical order without unknown bits", s)
	}
	if !(Stdio | Rpath).Has(Rpath) || Stdio.Has(Stdio|Rpath) || !Stdio.Has(0) {
		t.Error("Has is not the subset test")
	}
	names[0] = "mutated"
	if Names()[0] != "stdio" {
		t.Error("Names returns the package's own slice")
	}
}

// TestTableNames fails on a typo: every syscall the table, the lists and
// the fallbacks name exists on at least one architecture, and every
// number is within the filter's table (seccomp's Arch.MaxNr), or it would
// silently be answered ENOSYS.
func TestTableNames(t *testing.T) {
	for _, name := range allTableNames() {
		if _, ok := sysnumAMD64[name]; ok {
			continue
		}
		if _, ok := sysnumARM64[name]; ok {
			continue
		}
		t.Errorf("syscall %q of the table exists on neither amd64 nor arm64", name)
	}
	for _, a := range testArchs {
		for name, nr := range sysnums[a.Name] {
			if nr > a.MaxNr {
				t.Errorf("%s: %s is %d, above seccomp's MaxNr %d", a.Name, name, nr, a.MaxNr)
			}
		}
	}
	// Each promise is either in a grant or explains in promiseNotes why it
	// grants nothing more.
	for i := range numPromises {
		p := Set(1) << i
		grants := len(grantsOf(p)) != 0 || Everywhere(p) != 0 || describeNamed(p) != ""
		if !grants && !strings.HasPrefix(promiseNotes[p], "nothing more on Linux") &&
			p != Error {
			t.Errorf("promise %s has no rules and no \"nothing more on Linux\" note", p)
		}
		if grants && strings.HasPrefix(promiseNotes[p], "nothing more on Linux") {
			t.Errorf("promise %s has rules but its note says it grants nothing", p)
		}
	}
}

// allTableNames lists every syscall name the data of table.go mentions.
func allTableNames() []string {
	var names []string
	for _, g := range promiseTable {
		for _, r := range g.rules {
			names = append(names, r.name)
		}
	}
	for _, r := range loaderRules {
		names = append(names, r.name)
	}
	for _, f := range fallbacks {
		names = append(names, f.rule.name)
	}
	for n := range never {
		names = append(names, n)
	}
	for n := range enosys {
		names = append(names, n)
	}
	return names
}

// grantsOf returns the grants whose need includes p.
func grantsOf(p Set) []grant {
	var gs []grant
	for _, g := range promiseTable {
		if g.need&p != 0 {
			gs = append(gs, g)
		}
	}
	return gs
}

// TestSharedConstants checks the claim the table is built on: every
// golang.org/x/sys/unix constant table.go uses has the same value on
// arm64 as on amd64, so one table serves both. It reads the x/sys sources
// of both arches (the module the build uses).
func TestSharedConstants(t *testing.T) {
	src := xsysUnixDir(t)
	values := func(files ...string) map[string]uint64 {
		m := map[string]uint64{}
		def := regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]*)\s*=\s*(?:syscall\.Errno\()?(-?0[xX][0-9a-fA-F]+|-?[0-9]+)\)?\s*$`)
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(data), "\n") {
				if mm := def.FindStringSubmatch(l); mm != nil {
					v, err := strconv.ParseInt(mm[2], 0, 64)
					if err != nil {
						u, err2 := strconv.ParseUint(mm[2], 0, 64)
						if err2 != nil {
							continue
						}
						v = int64(u)
					}
					m[mm[1]] = uint64(v)
				}
			}
		}
		return m
	}
	common := values("zerrors_linux.go", "ztypes_linux.go")
	amd64 := values("zerrors_linux_amd64.go", "ztypes_linux_amd64.go")
	arm64 := values("zerrors_linux_arm64.go", "ztypes_linux_arm64.go")

	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "table.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "unix" {
				used[sel.Sel.Name] = true
			}
		}
		return true
	})
	if len(used) < 50 {
		t.Fatalf("found only %d unix constants in table.go", len(used))
	}
	for name := range used {
		if _, ok := common[name]; ok {
			continue
		}
		a, okA := amd64[name]
		b, okB := arm64[name]
		switch {
		case !okA || !okB:
			t.Errorf("unix.%s: not a plain constant in x/sys for both arches (amd64 %v, arm64 %v)", name, okA, okB)
		case a != b:
			t.Errorf("unix.%s is %#x on amd64 but %#x on arm64: the table needs per-arch values", name, a, b)
		}
	}
	// The values table.go spells out itself.
	own := map[string]uint64{"FIONREAD": fionread, "FIONBIO": fionbio, "FIOCLEX": fioclex, "FIONCLEX": fionclex}
	for name, v := range own {
		for arch, m := range map[string]map[string]uint64{"common": common, "amd64": amd64, "arm64": arm64} {
			if got, ok := m[name]; ok && got != v {
				t.Errorf("%s: table.go has %#x, x/sys %s has %#x", name, v, arch, got)
			}
		}
	}
	if want := uint64(unix.O_TMPFILE &^ unix.O_DIRECTORY); oTmpfile != want {
		t.Errorf("oTmpfile = %#x, want __O_TMPFILE %#x", oTmpfile, want)
	}
	if unix.TIOCINQ != fionread {
		t.Errorf("FIONREAD %#x is not TIOCINQ %#x", fionread, unix.TIOCINQ)
	}
}

// xsysUnixDir finds golang.org/x/sys/unix's sources: the vendor directory
// when the build uses one (CI's unprivileged run), else the module cache.
func xsysUnixDir(t *testing.T) string {
	vendored := filepath.Join("..", "vendor", "golang.org", "x", "sys", "unix")
	if _, err := os.Stat(filepath.Join(vendored, "zerrors_linux_arm64.go")); err == nil {
		return vendored
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil || strings.TrimSpace(string(dir)) == "" {
		t.Fatalf("locating golang.org/x/sys (no vendor directory; go list -m: %v)", err)
	}
	return filepath.Join(strings.TrimSpace(string(dir)), "unix")
}

var update = flag.Bool("update", false, "rewrite docs/promises.md from the promise table")

// TestPromisesDoc fails when docs/promises.md is not what the promise
// table renders to; go test ./promise -run TestPromisesDoc -update rewrites
// it.
func TestPromisesDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "promises.md")
	want := renderPromisesDoc()
	readme := filepath.Join("..", "README.md")
	readmeText, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	wantReadme, err := spliceReadme(readmeText, renderPromiseRows())
	if err != nil {
		t.Fatalf("%s: %v", readme, err)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(readme, wantReadme, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with go test ./promise -run TestPromisesDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the promise table: run go test ./promise -run TestPromisesDoc -update", path)
	}
	if !bytes.Equal(readmeText, wantReadme) {
		t.Errorf("the promise table in %s is out of date: run go test ./promise -run TestPromisesDoc -update", readme)
	}
}

// The README carries the per-promise table between these markers.
const (
	readmeBegin = "<!-- promise table: generated by go test ./promise -run TestPromisesDoc -update -->\n"
	readmeEnd   = "<!-- end of promise table -->\n"
)

// spliceReadme replaces what stands between the markers in readme.
func spliceReadme(readme, table []byte) ([]byte, error) {
	i := bytes.Index(readme, []byte(readmeBegin))
	j := bytes.Index(readme, []byte(readmeEnd))
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %q ... %q section", strings.TrimSpace(readmeBegin), strings.TrimSpace(readmeEnd))
	}
	var b bytes.Buffer
	b.Write(readme[:i+len(readmeBegin)])
	b.Write(table)
	b.Write(readme[j:])
	return b.Bytes(), nil
}

// renderPromiseRows renders one row per promise: what it allows on Linux
// (syscalls, conditions in parentheses) and notes.
func renderPromiseRows() []byte {
	var b bytes.Buffer
	b.WriteString("| promise | allows on Linux | by path (Landlock) | notes |\n|---|---|---|---|\n")
	for i := range numPromises {
		p := Set(1) << i
		var gs []grant
		for _, g := range promiseTable {
			if g.need == p {
				gs = append(gs, g)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p, describe(gs), describePaths(p), mdEscape(promiseNotes[p]))
	}
	fmt.Fprintf(&b, "\nEvery pledged process may also use, whatever its promises and its veil: %s.\n", describeNamed(0))
	return b.Bytes()
}

// describePaths says what promise p allows by path: everywhere, and its
// named paths.
func describePaths(p Set) string {
	var parts []string
	if a := Everywhere(p); a != 0 {
		parts = append(parts, a.String()+" anywhere")
	}
	if named := describeNamed(p); named != "" {
		parts = append(parts, named)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "; ")
}

// describeNamed lists the named paths whose promise is exactly p (0: any
// pledge), with their accesses.
func describeNamed(p Set) string {
	var out []string
	for _, np := range namedPaths {
		if np.Need != p {
			continue
		}
		path := "`" + np.Path + "`"
		if np.Tree {
			path = "`" + np.Path + "/…`"
		}
		out = append(out, path+" ("+np.Access.String()+")")
	}
	return strings.Join(out, ", ")
}

// renderPromisesDoc renders the promise table as Markdown: one row per
// promise, then the combinations, the always-allowed calls, the fallbacks,
// the never list and the always-ENOSYS list.
func renderPromisesDoc() []byte {
	var b bytes.Buffer
	b.WriteString("# Set on Linux\n\n")
	b.WriteString("Generated from the promise table (promise/table.go) by `go test ./promise -run TestPromisesDoc -update`; do not edit.\n\n")
	b.WriteString("A syscall listed with a condition is allowed only when the condition holds; anything else a promise set does not allow kills the process with SIGSYS (`SECCOMP_RET_KILL_PROCESS`), or returns ENOSYS under `error`. Conditions compare the argument at the width the kernel reads it. Syscalls missing on an architecture (arm64 has no `open`, `stat`, `fork`...) are skipped there.\n\n")
	b.Write(renderPromiseRows())
	b.WriteString("\n## Set needed together\n\n| promises | allow |\n|---|---|\n")
	for _, g := range promiseTable {
		if g.need&(g.need-1) != 0 {
			fmt.Fprintf(&b, "| `%s` | %s |\n", g.need, describe([]grant{g}))
		}
	}
	b.WriteString("\n## Always allowed, even under `pledge(\"\")`\n\n")
	for _, g := range promiseTable {
		if g.need == 0 {
			b.WriteString(describe([]grant{g}) + "\n")
		}
	}
	b.WriteString("\n## Answered with an errno instead of the kill\n\n")
	b.WriteString("When no promise allows the call and the violation action is a kill (not under `error` or an explicit errno). The probes (calls libc or the Go runtime makes on its own, and falls back from) are answered so under the `pledge` command too, whose supervisor reports every other violation:\n\n| syscall | when | errno | why |\n|---|---|---|---|\n")
	for _, f := range fallbacks {
		when := "always"
		if f.need != 0 {
			when = "with `" + f.need.String() + "`"
		}
		if f.probe {
			when += " (a probe)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.rule.name, when, unix.ErrnoName(f.errno), mdEscape(f.rule.doc))
	}
	b.WriteString("\n## ENOSYS in every mode\n\nEvery number above the table (syscalls newer than golang.org/x/sys's list), and:\n\n| syscall | why |\n|---|---|\n")
	for _, n := range sortedKeys(enosys) {
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, enosys[n])
	}
	b.WriteString("\n## Never allowed\n\n| syscalls | why |\n|---|---|\n")
	byReason := map[string][]string{}
	for n, r := range never {
		byReason[r] = append(byReason[r], n)
	}
	for _, r := range sortedKeys(byReason) {
		ns := byReason[r]
		sort.Strings(ns)
		fmt.Fprintf(&b, "| `%s` | %s |\n", strings.Join(ns, "`, `"), r)
	}
	b.WriteString("\nAlso never: foreign architectures (i386 `int 0x80` on amd64, AArch32 on arm64) and x32 syscall numbers, `clone` with `CLONE_NEW*` flags, `ioctl` `TIOCSTI`/`TIOCLINUX`, `mmap`/`mprotect` with `PROT_EXEC` without `prot_exec`, `personality` other than the query.\n")
	return b.Bytes()
}

// describe condenses the rules of grants: unconditional syscalls, then each
// conditional syscall with its condition words.
func describe(gs []grant) string {
	var plain []string
	var conditional []string
	seen := map[string]bool{}
	for _, g := range gs {
		for _, r := range g.rules {
			key := r.name + "\x00" + r.doc
			if seen[key] {
				continue
			}
			seen[key] = true
			if len(r.conds) == 0 {
				if g.unless != 0 {
					conditional = append(conditional, fmt.Sprintf("`%s` (without `%s`)", r.name, g.unless))
				} else {
					plain = append(plain, r.name)
				}
				continue
			}
			conditional = append(conditional, fmt.Sprintf("`%s` (%s)", r.name, condDoc(r)))
		}
	}
	sort.Strings(plain)
	for i, n := range plain {
		plain[i] = "`" + n + "`"
	}
	out := strings.Join(append(plain, conditional...), ", ")
	if out == "" {
		return "—"
	}
	return mdEscape(out)
}

func condDoc(r sysRule) string {
	if r.doc != "" {
		return r.doc
	}
	var cs []string
	for _, c := range r.conds {
		cs = append(cs, c.String())
	}
	return strings.Join(cs, ", ")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
