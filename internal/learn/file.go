package learn

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/unveil"
)

// The policy file, what `pledge --learn -o FILE` writes and
// `pledge --policy FILE` reads: lines, each one of
//
//	# a comment (also a blank line)
//	promises stdio rpath
//	unveil r /etc/ssl
//
// "promises" comes exactly once, followed by the promises as pledge(2)
// takes them (none: pledge("")); "unveil PERM PATH" any number of times,
// PERM being letters of "rwxc" or "" (hide), PATH absolute and the rest
// of the line after one space, or a double-quoted string with Go's
// escapes when it starts with a quote, ends with a space or holds a
// control character or invalid UTF-8. Any other line is an error, so a
// later version can add keywords that older readers refuse rather than
// ignore.

// File is the content of a policy file.
type File struct {
	Promises promise.Set
	Unveils  []Unveil
}

// ParseFile reads a policy file; errors name the line.
func ParseFile(r io.Reader) (*File, error) {
	f := &File{}
	seen := false
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		t := strings.TrimLeft(line, " \t")
		if t == "" || t[0] == '#' {
			continue
		}
		key, rest, _ := strings.Cut(t, " ")
		var err error
		switch key {
		case "promises":
			if seen {
				err = fmt.Errorf("a second promises line")
				break
			}
			seen = true
			f.Promises, err = promise.Parse(strings.TrimRight(rest, " "))
		case "unveil":
			var u Unveil
			u, err = parseUnveil(rest)
			f.Unveils = append(f.Unveils, u)
		default:
			err = fmt.Errorf("unknown keyword %q (want promises or unveil)", key)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !seen {
		return nil, fmt.Errorf("no promises line")
	}
	return f, nil
}

// parseUnveil parses "PERM PATH".
func parseUnveil(s string) (Unveil, error) {
	perm, path, ok := strings.Cut(s, " ")
	if !ok {
		return Unveil{}, fmt.Errorf("unveil %q: want PERM PATH", s)
	}
	if perm == `""` {
		perm = ""
	}
	if _, err := unveil.ParsePerm(perm); err != nil {
		return Unveil{}, err
	}
	if strings.HasPrefix(path, `"`) {
		p, err := strconv.Unquote(path)
		if err != nil {
			return Unveil{}, fmt.Errorf("unveil path %s: %w", path, err)
		}
		path = p
	}
	if !strings.HasPrefix(path, "/") {
		return Unveil{}, fmt.Errorf("unveil path %q is not absolute", path)
	}
	return Unveil{Perm: perm, Path: path}, nil
}

// Format writes f as a policy file, after comment lines (each prefixed
// "# ").
func (f *File) Format(w io.Writer, comments []string) error {
	var b strings.Builder
	for _, c := range comments {
		for _, l := range strings.Split(c, "\n") {
			b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
		}
	}
	b.WriteString(strings.TrimRight("promises "+f.Promises.String(), " ") + "\n")
	for _, u := range f.Unveils {
		b.WriteString(UnveilLine(u) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// UnveilLine is u as a policy file line.
func UnveilLine(u Unveil) string {
	perm := u.Perm
	if perm == "" {
		perm = `""`
	}
	return "unveil " + perm + " " + quotePath(u.Path)
}

// quotePath quotes a path only when the rest of the line could not hold
// it as it is.
func quotePath(p string) string {
	needs := strings.HasPrefix(p, `"`) || strings.HasSuffix(p, " ") || !utf8.ValidString(p) ||
		strings.ContainsFunc(p, func(r rune) bool { return unicode.IsControl(r) })
	if needs {
		return strconv.Quote(p)
	}
	return p
}

// Unveil is one unveil of a policy: Perm (letters of "rwxc") on Path.
type Unveil struct {
	Perm string
	Path string
}
