package ldso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzResolve resolves hostile bytes as the program "prog" in a directory
// of decoys (see decoys, plus a script "s" running l.so), as they are and
// with LD_LIBRARY_PATH pointing at the directory and at the decoys, and
// checks the answer with checkNeeds: whatever the headers say, nothing is
// returned that the kernel or ld.so would not open for the program.
func FuzzResolve(f *testing.F) {
	dir := testDir(f)
	decoys(f, dir)
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte("#!l.so\n"), 0o755); err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"/bin/true", "/bin/sh"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b) // real headers to mutate; the crafted ones are in testdata
		}
	}
	prog := filepath.Join(dir, "prog")
	envs := [][]string{nil, {"LD_LIBRARY_PATH=" + dir}, {"LD_LIBRARY_PATH=:d:r:dev:f:" + dir + "/r;" + dir + "/d"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(prog, b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(prog, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		for _, env := range envs {
			needs, _ := ProgramNeeds(prog, env)
			checkNeeds(t, prog, needs)
		}
	})
}

// FuzzResolveNames is FuzzResolve with the ELF well formed and the names
// fuzzed: the interpreters, two DT_NEEDED names and a search path of the
// program, and of a library q.so beside it that the program needs first
// (so that RPATH inheritance, DT_SONAME and names already loaded are
// exercised too).
func FuzzResolveNames(f *testing.F) {
	dir := testDir(f)
	decoys(f, dir)
	for _, s := range [][6]string{
		{"l.so", "/", "l.so", "d", "$ORIGIN", ""},
		{"/", "l.so", "./l.so", "r/", "/:r:d", "runpath"},
		{"r", "", "$ORIGIN/../" + filepath.Base(dir) + "/l.so", "f", "::", ""},
		{"l.so", "d", "dev", "q.so", "${ORIGIN}/r", "runpath"},
		{"d/../l.so", "", "l.so", "prog", "$ORIGIN/d/..", ""},
		{"l.so", "", "n", "c", "$LIB:$ORIGIN", "runpath"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5] != "")
	}
	prog, lib := filepath.Join(dir, "prog"), filepath.Join(dir, "q.so")
	f.Fuzz(func(t *testing.T, interp, interp2, need1, need2, path string, runpath bool) {
		interps := []string{interp}
		if interp2 != "" {
			interps = append(interps, interp2)
		}
		p := fakeELF{interps: interps, needed: []string{"q.so", need1, need2}}
		q := fakeELF{needed: []string{need2, need1}, soname: need1}
		if runpath {
			p.runpath, q.runpath = &path, &path
		} else {
			p.rpath, q.rpath = &path, &path
		}
		for name, b := range map[string][]byte{prog: p.bytes(), lib: q.bytes()} {
			if err := os.WriteFile(name, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Chdir(dir)
		for _, env := range [][]string{nil, {"LD_LIBRARY_PATH=" + path}} {
			needs, _ := ProgramNeeds(prog, env)
			checkNeeds(t, prog, needs)
		}
	})
}

// fuzzSeeds are the crafted programs of the tests as fuzz seeds, by name:
// PT_INTERPs and DT_NEEDED names pointing at every decoy, hostile search
// paths, malformed headers, #! lines.
func fuzzSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	all := []string{"/", "d", "r", "f", "dev", "n", "c", "m", "e", "nox", "l.so", "prog", "s", "", ".", "..", "r/", "./d", "d/..", "/dev/null"}
	for _, in := range all {
		seeds["interp-"+seedName(in)] = fakeELF{interps: []string{in}}.bytes()
		seeds["second-interp-"+seedName(in)] = fakeELF{interps: []string{"l.so", in}}.bytes()
		seeds["needed-"+seedName(in)] = fakeELF{interps: []string{"l.so"}, needed: []string{in}, runpath: ptr("$ORIGIN")}.bytes()
		if in != "" {
			seeds["needed-path-"+seedName(in)] = fakeELF{interps: []string{"l.so"}, needed: []string{"./" + in, "$ORIGIN/" + in}}.bytes()
			seeds["script-"+seedName(in)] = []byte("#!" + in + "\n")
		}
	}
	seeds["many-interps"] = fakeELF{interps: append([]string{"l.so"}, all...)}.bytes()
	seeds["needed-all"] = fakeELF{interps: []string{"l.so"}, needed: all, rpath: ptr("$ORIGIN:/:r:d:f:" + ":${ORIGIN}/r")}.bytes()
	seeds["rpath-root"] = fakeELF{interps: []string{"l.so"}, needed: []string{"l.so", "libc.so.6"}, rpath: ptr("/:/r:$ORIGIN/r:$ORIGIN/d")}.bytes()
	seeds["runpath-root"] = fakeELF{interps: []string{"l.so"}, needed: []string{"x", "l.so"}, runpath: ptr("/::$ORIGIN/..:$LIB:$PLATFORM")}.bytes()
	seeds["soname-loop"] = fakeELF{interps: []string{"l.so"}, needed: []string{"prog", "l.so", "l.so"}, soname: "prog", runpath: ptr("$ORIGIN")}.bytes()
	seeds["system-loader"] = fakeELF{interps: []string{"/lib64/ld-linux-x86-64.so.2", "/"}, needed: []string{"libc.so.6", "/", "d"}, runpath: ptr("$ORIGIN")}.bytes()
	seeds["elf32-interp"] = fakeELF{class: elf.ELFCLASS32, machine: elf.EM_386, interps: []string{"c", "/"}, needed: []string{"c", "l.so"}, rpath: ptr("$ORIGIN")}.bytes()
	seeds["no-dynamic"] = fakeELF{interps: []string{"l.so"}, noDyn: true}.bytes()
	seeds["phnum-ffff"] = fakeELF{interps: []string{"l.so"}, phnum: 0xffff}.bytes()
	seeds["phentsize-bad"] = fakeELF{interps: []string{"l.so"}, phentAdj: 1}.bytes()
	full := fakeELF{interps: []string{"l.so", "/"}, needed: []string{"l.so", "d"}, runpath: ptr("$ORIGIN")}.bytes()
	for _, n := range []int{0, 1, 4, 16, 63, 64, 100, 200, len(full) - 1} {
		seeds[fmt.Sprintf("truncated-%d", n)] = full[:n]
	}
	// The first PT_INTERP's offset and size made hostile.
	for name, v := range map[string][2]uint64{"interp-past-eof": {1 << 20, 8}, "interp-negative": {1 << 63, 8}, "interp-size-1": {0x100, 1}, "interp-size-big": {0, 1 << 40}} {
		b := slices.Clone(full)
		binary.LittleEndian.PutUint64(b[64+8:], v[0])
		binary.LittleEndian.PutUint64(b[64+32:], v[1])
		seeds[name] = b
	}
	seeds["script-long"] = []byte("#!/" + strings.Repeat("a", 300))
	seeds["script-blanks"] = []byte("#! \t l.so \t \n")
	seeds["script-nul"] = []byte("#!\x00l.so\n")
	seeds["script-cr"] = []byte("#!l.so\r\n")
	seeds["script-padded"] = append([]byte("#!l.so"), bytes.Repeat([]byte(" "), 300)...)
	return seeds
}

func seedName(s string) string {
	if s == "" {
		return "empty"
	}
	r := strings.NewReplacer("/", "slash", ".", "dot")
	return r.Replace(s)
}

// The crafted seeds are kept in testdata (so that go test runs them and
// the fuzzer starts from them); LDSO_WRITE_SEEDS=1 rewrites them.
func TestFuzzSeedsCurrent(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzResolve")
	write := os.Getenv("LDSO_WRITE_SEEDS") == "1"
	for name, b := range fuzzSeeds() {
		p := filepath.Join(dir, "crafted-"+name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if write {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != want {
			t.Errorf("%s is missing or stale (err %v): run LDSO_WRITE_SEEDS=1 go test -run TestFuzzSeedsCurrent", p, err)
		}
	}
}
