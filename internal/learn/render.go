//go:build linux

package learn

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/landpledge/landpledge/promise"
)

// NotLearned is the one line every report ends its findings with: a run
// shows only the paths it took.
const NotLearned = "not learned: what this run did not do (a branch not taken, another input, an error path) is not in the policy; learn again with --policy FILE to add to it"

// ReportInput is what a report is about.
type ReportInput struct {
	Policy *Policy
	// Command is the pledge command as invoked, Flags the flags of the
	// learning run the rerun must repeat (-N, -u UID, limits...), Argv the
	// program and its arguments.
	Command string
	Flags   []string
	Argv    []string
	// File is the policy file written (-o), "" for none.
	File string
	// Library are the unveils a program pledging itself also needs for
	// the programs it execs (their loaders and libraries), which the
	// command unveils by itself.
	Library []Unveil
}

// File is the policy as a policy file.
func (p *Policy) File() *File { return &File{Promises: p.Promises, Unveils: p.Unveils} }

// Comments are the report's findings as policy file comments: what needs
// each promise, where unveils were moved, what was left out, and the
// one line of what a run cannot show.
func (p *Policy) Comments() []string {
	var c []string
	if len(p.Incomplete) > 0 {
		c = append(c, "INCOMPLETE: "+strings.Join(p.Incomplete, "; "))
	}
	c = append(c, "stdio: always (pledge(\"\") allows nothing but exiting)")
	for q := promise.Set(1); q != 0 && q <= promise.All; q <<= 1 {
		if w, ok := p.Why[q]; ok {
			c = append(c, q.String()+": "+w)
		}
	}
	c = append(c, p.Notes...)
	for _, x := range p.Conflicts {
		c = append(c, "cannot be allowed with these promises: "+x)
	}
	for _, x := range p.NotAllowed {
		c = append(c, "not allowed by any promise (EPERM and a line under the policy): "+x)
	}
	if len(p.Probes) > 0 {
		c = append(c, fmt.Sprintf("not unveiled: %d ENOENT probes (paths looked for and not found), below as comments", len(p.Probes)))
	}
	if p.Stops > 0 {
		c = append(c, fmt.Sprintf("observing took %d stops: %d calls, %d of them also at their exit (the other calls ran without a stop)", p.Stops+p.Exits, p.Stops, p.Exits))
	}
	return append(c, NotLearned)
}

// Report renders the whole report: the tree learned and whether in full,
// the policy with its reasons (as a policy file), the probes, the command
// line that reruns the program under it, and the policy as Go and C code.
func Report(in ReportInput) string {
	p := in.Policy
	var b strings.Builder
	state := "observed in full"
	if len(p.Incomplete) > 0 {
		state = "NOT observed in full"
	}
	fmt.Fprintf(&b, "pledge --learn: the policy of %s: %s\n", tree(p.Programs), state)
	p.File().Format(&b, p.Comments())
	for _, path := range p.Probes {
		b.WriteString("# " + UnveilLine(Unveil{Perm: "r", Path: path}) + "   (ENOENT probe)\n")
	}
	b.WriteString("rerun with:\n  " + CommandLine(in.Command, in.Flags, p.File(), in.Argv) + "\n")
	if in.File != "" {
		b.WriteString("  " + PolicyCommandLine(in.Command, in.Flags, in.File, in.Argv) + "\n")
	}
	b.WriteString("as Go (github.com/landpledge/landpledge/pledge):\n" + GoCode(p.File(), in.Library))
	b.WriteString("as C (libpledge, <pledge.h>):\n" + CCode(p.File(), in.Library))
	return b.String()
}

// tree names the programs of the learned tree.
func tree(programs []string) string {
	if len(programs) == 0 {
		return "the program"
	}
	names := make([]string, len(programs))
	for i, p := range programs {
		names[i] = filepath.Base(p)
	}
	if len(names) == 1 {
		return names[0]
	}
	return fmt.Sprintf("%s and what it ran (%d programs: %s)", names[0], len(names), strings.Join(names, ", "))
}

// CommandLine is the pledge command line that runs argv under f, quoted
// for sh.
func CommandLine(command string, flags []string, f *File, argv []string) string {
	words := append([]string{command}, flags...)
	words = append(words, "-p", f.Promises.String())
	for _, u := range f.Unveils {
		words = append(words, "-v", u.Perm+":"+u.Path)
	}
	return shellJoin(append(append(words, "--"), argv...))
}

// PolicyCommandLine is the command line that runs argv under the policy
// file.
func PolicyCommandLine(command string, flags []string, file string, argv []string) string {
	words := append(append([]string{command}, flags...), "--policy", file, "--")
	return shellJoin(append(words, argv...))
}

func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = ShellQuote(w)
	}
	return strings.Join(q, " ")
}

// ShellQuote quotes s for sh: as it is when it holds only characters sh
// takes literally, else in single quotes (a quote as '\”).
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// GoCode is f as calls of package pledge, to paste at the point of a Go
// program where it has set up and may give up the rest. library are the
// unveils of exec'd programs' loaders that a program pledging itself
// needs too.
func GoCode(f *File, library []Unveil) string {
	var b strings.Builder
	for _, u := range f.Unveils {
		fmt.Fprintf(&b, "\tif err := pledge.Unveil(%s, %s); err != nil {\n\t\tlog.Fatal(err)\n\t}\n", strconv.Quote(u.Path), strconv.Quote(u.Perm))
	}
	if len(library) > 0 {
		b.WriteString("\t// What the pledge command unveils by itself: the loaders and libraries of the programs unveiled with \"x\".\n")
		for _, u := range library {
			fmt.Fprintf(&b, "\tif err := pledge.Unveil(%s, %s); err != nil {\n\t\tlog.Fatal(err)\n\t}\n", strconv.Quote(u.Path), strconv.Quote(u.Perm))
		}
	}
	if f.Promises.Has(promise.Exec) {
		b.WriteString("\t// execpromises left unset: the programs it execs keep these promises.\n")
		fmt.Fprintf(&b, "\tif err := pledge.PledgePromises(%s); err != nil {\n\t\tlog.Fatal(err)\n\t}\n", strconv.Quote(f.Promises.String()))
		return b.String()
	}
	fmt.Fprintf(&b, "\tif err := pledge.Pledge(%s, \"\"); err != nil {\n\t\tlog.Fatal(err)\n\t}\n", strconv.Quote(f.Promises.String()))
	return b.String()
}

// CCode is f as calls of libpledge's unveil(2) and pledge(2) (<pledge.h>,
// with <err.h> for err(3)).
func CCode(f *File, library []Unveil) string {
	var b strings.Builder
	unv := func(u Unveil) {
		fmt.Fprintf(&b, "\tif (unveil(%s, %s) == -1)\n\t\terr(1, \"unveil\");\n", cQuote(u.Path), cQuote(u.Perm))
	}
	for _, u := range f.Unveils {
		unv(u)
	}
	if len(library) > 0 {
		b.WriteString("\t/* What the pledge command unveils by itself: the loaders and libraries of the programs unveiled with \"x\". */\n")
		for _, u := range library {
			unv(u)
		}
	}
	fmt.Fprintf(&b, "\tif (pledge(%s, NULL) == -1)\n\t\terr(1, \"pledge\");\n", cQuote(f.Promises.String()))
	return b.String()
}

// cQuote is s as a C string literal: printable ASCII as it is (with \\
// and \"), every other byte as a three-digit octal escape.
func cQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '?' && i > 0 && s[i-1] == '?':
			b.WriteString(`\?`) // no "??" for a trigraph to start with
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
