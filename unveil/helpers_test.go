//go:build linux

package unveil

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// trueELF is a minimal static executable that calls exit(0): one PT_LOAD
// segment holding the ELF header, the program header and a few
// instructions. Copying /bin/true would need the dynamic loader and libc
// to be unveiled as well, which would blur what a matrix cell tests.
func trueELF(t testing.TB) []byte {
	t.Helper()
	var machine elf.Machine
	var code []byte
	switch runtime.GOARCH {
	case "amd64":
		machine = elf.EM_X86_64
		code = []byte{
			0x31, 0xff, // xor %edi,%edi
			0xb8, 0x3c, 0, 0, 0, // mov $60 (exit),%eax
			0x0f, 0x05, // syscall
		}
	case "arm64":
		machine = elf.EM_AARCH64
		code = []byte{
			0x00, 0x00, 0x80, 0xd2, // movz x0, #0
			0xa8, 0x0b, 0x80, 0xd2, // movz x8, #93 (exit)
			0x01, 0x00, 0x00, 0xd4, // svc #0
		}
	default:
		t.Fatalf("no tiny executable for %s", runtime.GOARCH)
	}
	const base = 0x400000
	const hdrs = 64 + 56 // sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr)
	size := uint64(hdrs + len(code))
	var b bytes.Buffer
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Entry: base + hdrs, Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	prog := elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: base, Paddr: base, Filesz: size, Memsz: size, Align: 0x1000,
	}
	binary.Write(&b, binary.LittleEndian, hdr)
	binary.Write(&b, binary.LittleEndian, prog)
	b.Write(code)
	return b.Bytes()
}

// execStatus runs path with fork+execve directly (os/exec would open
// /dev/null, which the veil may hide) and returns the execve error, or an
// error for a non-zero exit.
func execStatus(path string, args ...string) error {
	pid, err := syscall.ForkExec(path, append([]string{path}, args...), &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		return err
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return &exitError{ws}
	}
	return nil
}

type exitError struct{ ws syscall.WaitStatus }

func (e *exitError) Error() string {
	if e.ws.Signaled() {
		return "killed by " + e.ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", e.ws.ExitStatus())
}

// commit unveils entries (path, perms pairs) in a fresh State and commits
// it, exiting the child with status 3 on any error.
func commit(entries ...string) *State {
	s := New()
	for i := 0; i+1 < len(entries); i += 2 {
		if err := s.Unveil(entries[i], entries[i+1]); err != nil {
			os.Stderr.WriteString("unveil: " + err.Error() + "\n")
			os.Exit(3)
		}
	}
	if err := s.Commit(); err != nil {
		os.Stderr.WriteString("commit: " + err.Error() + "\n")
		os.Exit(3)
	}
	return s
}

func writeFile(t testing.TB, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func mkdirAll(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// sandboxDir requires Landlock and returns a directory shared by the
// parent test and its child (sandboxtest.TempDir).
func sandboxDir(t *testing.T) string {
	t.Helper()
	sandboxtest.Require(t, "landlock")
	return sandboxtest.TempDir(t)
}
