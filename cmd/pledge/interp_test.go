//go:build linux

package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Issue 8, escape 2: every PT_INTERP used to be unveiled, but the kernel
// opens only the first, so a program with a second PT_INTERP naming "/"
// had "/" unveiled rx and read any file. The helper, with a second
// PT_INTERP "/" patched in, must not read a file outside the veil; with
// "/" unveiled by hand it does, so the test sees the difference the bug
// made.
func TestSecondPTInterpUnveilsNothing(t *testing.T) {
	if bin.err != nil {
		t.Fatalf("building the command and helpers: %v", bin.err)
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("hidden\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "twointerp")
	withSecondInterp(t, bin.chelper, prog, "/")

	// Control: two PT_INTERPs, the second "/" (what the old resolver
	// unveiled as well); the kernel runs the program with the first.
	interps := ptInterps(t, prog)
	if len(interps) != 2 || interps[1] != "/" {
		t.Fatalf("control: PT_INTERPs %q, want the loader then \"/\"", interps)
	}
	if out, err := exec.Command(prog, "open", secret).Output(); err != nil || string(out) != "sandboxtest: open=ok\n" {
		t.Fatalf("control: the patched helper does not run: %v %q", err, out)
	}

	t.Run("pledged", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath", prog, "open", secret)
		r.wantExit(t, 0)
		r.wantOutcome(t, "open", "EACCES")
	})
	t.Run("verbose", func(t *testing.T) {
		r := runPledge(t, "--verbose", "-p", "stdio rpath", prog, "open", secret)
		r.wantExit(t, 0)
		r.wantOutcome(t, "open", "EACCES")
		r.wantLine(t, `pledge: unveil rx `+regexp.QuoteMeta(interps[0]+" (ELF interpreter of "+prog+")"))
		for _, l := range strings.Split(r.stderr, "\n") {
			if strings.HasPrefix(l, "pledge: unveil rx / ") {
				t.Errorf("%q unveiled: %s", l, r)
			}
		}
	})
	t.Run("control: / unveiled", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath", "-v", "r:/", prog, "open", secret)
		r.wantExit(t, 0)
		r.wantOutcome(t, "open", "ok")
	})
}

// withSecondInterp writes a copy of the 64-bit ELF from to to, with its
// last PT_NOTE turned into a second PT_INTERP naming interp (the string
// appended to the file; p_vaddr kept, so that ld.so, which names itself
// after the last PT_INTERP through memory, still reads mapped bytes).
func withSecondInterp(t *testing.T, from, to, interp string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if elf.Class(b[elf.EI_CLASS]) != elf.ELFCLASS64 {
		t.Fatalf("%s is not a 64-bit ELF", from)
	}
	le := binary.LittleEndian
	phoff, phent, phnum := int(le.Uint64(b[32:])), int(le.Uint16(b[54:])), int(le.Uint16(b[56:]))
	note := -1
	for i := 0; i < phnum; i++ {
		if at := phoff + i*phent; elf.ProgType(le.Uint32(b[at:])) == elf.PT_NOTE {
			note = at
		}
	}
	if note < 0 {
		t.Fatalf("%s has no PT_NOTE", from)
	}
	off := len(b)
	b = append(b, interp+"\x00"...)
	le.PutUint32(b[note:], uint32(elf.PT_INTERP))
	le.PutUint64(b[note+8:], uint64(off))
	le.PutUint64(b[note+32:], uint64(len(interp)+1))
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// ptInterps is every PT_INTERP's string, as debug/elf reads them.
func ptInterps(t *testing.T, path string) []string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			s := make([]byte, p.Filesz)
			if _, err := p.ReadAt(s, 0); err != nil {
				t.Fatal(err)
			}
			out = append(out, string(bytes.TrimRight(s, "\x00")))
		}
	}
	return out
}
