package compat_test

import (
	"bytes"
	"fmt"
	"go/ast"
	gobuild "go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The platform matrix: every GOOS/GOARCH of `go tool dist list`. The
// pledge package and the command build on all of them (plan9, js/wasm and
// wasip1 too, which golang.org/x/sys/unix does not support: the code for
// systems other than Linux and OpenBSD imports none of it):
//
//   - linux/amd64: everything; linux/arm64: no exec supervisor;
//   - the other Linux architectures: no promise table, Pledge fails with
//     ENOSYS (errors.ErrUnsupported), the command refuses (126);
//   - OpenBSD: the kernel's pledge(2) and unveil(2);
//   - everything else: errors.ErrUnsupported, or best effort.
//
// TestMatrix builds for each; TestMatrixAPI checks that package pledge's
// API, and the parts of packages unveil and promise it exposes, are the
// same everywhere, so that a ported program compiles everywhere without
// build tags; TestOpenBSDBuild checks what an OpenBSD build links.

// distList is `go tool dist list`.
func distList(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatalf("go tool dist list: %v", err)
	}
	return strings.Fields(string(out))
}

// goFor runs the go command in the module root for target ("goos/goarch"),
// without cgo.
func goFor(target string, args ...string) (string, error) {
	goos, goarch, _ := strings.Cut(target, "/")
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// needsExternalLink is the go command's refusal to link an executable for
// a target without cgo (android/386, android/amd64, android/arm, ios/*).
const needsExternalLink = "requires external (cgo) linking"

// TestMatrix builds ./pledge and ./cmd/pledge for every target, and the
// porting example for one target of each kind that TestUpdcheck does not
// run (openbsd/amd64, windows/amd64, linux/riscv64). Where the go command
// cannot link an executable without cgo, ./pledge is built alone: the
// command's files there are those of darwin (ios) and linux (android),
// built on their own targets. The builds are cached by the go command, so
// only the first run on a machine is slow.
func TestMatrix(t *testing.T) {
	example := []string{"openbsd/amd64", "windows/amd64", "linux/riscv64"}
	sem := make(chan struct{}, max(2, runtime.NumCPU()))
	for _, target := range distList(t) {
		t.Run(strings.ReplaceAll(target, "/", "_"), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			pkgs := []string{"./pledge", "./cmd/pledge"}
			if slices.Contains(example, target) {
				pkgs = append(pkgs, "./compat_test/updcheck")
			}
			out, err := goFor(target, append([]string{"build", "-o", os.DevNull}, pkgs...)...)
			if err != nil && strings.Contains(out, needsExternalLink) {
				t.Logf("%s: executables need cgo; building ./pledge alone", target)
				out, err = goFor(target, "build", "-o", os.DevNull, "./pledge")
			}
			if err != nil {
				t.Errorf("%s: go build %v: %v\n%s", target, pkgs, err, out)
			}
		})
	}
}

// TestOpenBSDBuild builds the porting example for openbsd/amd64 and checks
// what it links: golang.org/x/sys's pledge(2) and unveil(2) calls, which
// package pledge passes every call to there, and nothing of the Linux
// sandbox (Landlock, seccomp, the supervisor); and that the command's
// OpenBSD build does not depend on the supervisor's packages.
func TestOpenBSDBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "updcheck")
	if out, err := goFor("openbsd/amd64", "build", "-o", bin, "./compat_test/updcheck"); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	text := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "T" {
			text[f[2]] = true
		}
		if strings.Contains(line, "landpledge/internal/") || strings.Contains(line, "landpledge/seccomp.") ||
			strings.Contains(line, "landpledge/landlock.") || strings.Contains(line, "unix.Landlock") {
			t.Errorf("the OpenBSD build links Linux sandbox code: %s", line)
		}
	}
	for _, fn := range []string{"Pledge", "PledgePromises", "PledgeExecpromises", "Unveil", "UnveilBlock", "pledge", "unveil"} {
		if !text["golang.org/x/sys/unix."+fn] {
			t.Errorf("the OpenBSD build does not call golang.org/x/sys/unix.%s", fn)
		}
	}
	deps, err := goFor("openbsd/amd64", "list", "-deps", "./cmd/pledge", "./pledge")
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, deps)
	}
	// internal/learn's policy file (--policy) is the command's on every
	// platform; the rest of the package, the recorder, is Linux-only.
	const learnPkg = "github.com/landpledge/landpledge/internal/learn"
	for _, dep := range strings.Fields(deps) {
		if dep != learnPkg && strings.HasPrefix(dep, "github.com/landpledge/landpledge/internal/") || dep == "github.com/landpledge/landpledge/seccomp" {
			t.Errorf("cmd/pledge on OpenBSD depends on %s", dep)
		}
	}
	files, err := goFor("openbsd/amd64", "list", "-f", "{{.GoFiles}}", "./internal/learn")
	if err != nil || strings.TrimSpace(files) != "[file.go]" {
		t.Errorf("internal/learn on OpenBSD: %s (%v), want only the policy file, [file.go]", files, err)
	}
}

// api is a package's exported declarations for one target: a key per
// function, method, type, struct field, constant and variable, and its
// declaration without names of receivers, comments or values.
type api map[string]string

// apiOf reads the exported API of the package in dir (relative to the
// module root) as the go command would select its files for target.
func apiOf(t *testing.T, target, dir string) api {
	t.Helper()
	ctxt := gobuild.Default
	ctxt.GOOS, ctxt.GOARCH, _ = strings.Cut(target, "/")
	ctxt.CgoEnabled = false
	pkg, err := ctxt.ImportDir(filepath.Join("..", dir), 0)
	if err != nil {
		t.Fatalf("%s %s: %v", target, dir, err)
	}
	fset := token.NewFileSet()
	print := func(n any) string {
		var b bytes.Buffer
		if err := printer.Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	out := api{}
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				key := "func " + d.Name.Name
				if d.Recv != nil {
					recv := print(d.Recv.List[0].Type)
					if !ast.IsExported(strings.TrimPrefix(recv, "*")) {
						continue
					}
					key = "method " + strings.TrimPrefix(recv, "*") + "." + d.Name.Name
					d.Recv.List[0].Names = nil
				}
				out[key] = print(&ast.FuncDecl{Recv: d.Recv, Name: d.Name, Type: d.Type})
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						st, ok := s.Type.(*ast.StructType)
						if !ok {
							out["type "+s.Name.Name] = fmt.Sprintf("alias=%v %s", s.Assign.IsValid(), print(s.Type))
							continue
						}
						out["type "+s.Name.Name] = "struct"
						for _, field := range st.Fields.List {
							for _, n := range field.Names {
								if n.IsExported() {
									out["field "+s.Name.Name+"."+n.Name] = print(field.Type)
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								typ := ""
								if s.Type != nil {
									typ = print(s.Type)
								}
								out[d.Tok.String()+" "+n.Name] = typ
							}
						}
					}
				}
			}
		}
	}
	return out
}

// reachable lists the exported types of package pkg ("unveil") that the
// declarations in from name, and those their fields name in turn: what a
// program using from can reach without naming pkg.
func reachable(from, pkgAPI api, pkg string) map[string]bool {
	seen := map[string]bool{}
	var walk func(decl string, qualified bool)
	walk = func(decl string, qualified bool) {
		prefix := ""
		if qualified {
			prefix = pkg + "."
		}
		for key := range pkgAPI {
			name, ok := strings.CutPrefix(key, "type ")
			if !ok || seen[name] || !containsIdent(decl, prefix+name) {
				continue
			}
			seen[name] = true
			walk(pkgAPI[key], false)
			for k, v := range pkgAPI {
				if strings.HasPrefix(k, "field "+name+".") || strings.HasPrefix(k, "method "+name+".") {
					walk(v, false)
				}
			}
		}
	}
	for _, v := range from {
		walk(v, true)
	}
	return seen
}

// containsIdent reports whether s names ident as a whole word.
func containsIdent(s, ident string) bool {
	for i := strings.Index(s, ident); i >= 0; {
		end := i + len(ident)
		before := i == 0 || !isIdentByte(s[i-1])
		after := end == len(s) || !isIdentByte(s[end])
		if before && after {
			return true
		}
		j := strings.Index(s[i+1:], ident)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isIdentByte(b byte) bool {
	return b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// TestMatrixAPI: package pledge exports the same declarations on every
// target as on linux/amd64; so do packages unveil and promise on every
// Linux target, and elsewhere they export a part of it that holds every
// type pledge's API reaches (unveil.Status and what it holds,
// promise.Set), with the same declarations.
func TestMatrixAPI(t *testing.T) {
	const ref = "linux/amd64"
	refs := map[string]api{}
	for _, dir := range []string{"pledge", "unveil", "promise"} {
		refs[dir] = apiOf(t, ref, dir)
	}
	need := map[string]map[string]bool{
		"unveil":  reachable(refs["pledge"], refs["unveil"], "unveil"),
		"promise": reachable(refs["pledge"], refs["promise"], "promise"),
	}
	for _, want := range []string{"Status", "Entry", "Perm", "Kind", "Plan"} {
		if !need["unveil"][want] {
			t.Errorf("unveil.%s is not reached from pledge's API: %v", want, need["unveil"])
		}
	}
	if !need["promise"]["Set"] {
		t.Errorf("promise.Set is not reached from pledge's API: %v", need["promise"])
	}
	for _, target := range distList(t) {
		for _, dir := range []string{"pledge", "unveil", "promise"} {
			got, want := apiOf(t, target, dir), refs[dir]
			for k, v := range got {
				if w, ok := want[k]; !ok {
					t.Errorf("%s %s: %s is not in the %s API", target, dir, k, ref)
				} else if v != w {
					t.Errorf("%s %s: %s is\n\t%s\nnot as on %s\n\t%s", target, dir, k, v, ref, w)
				}
			}
			for k := range want {
				if _, ok := got[k]; ok {
					continue
				}
				owner := ""
				if f := strings.Fields(k); len(f) == 2 {
					owner, _, _ = strings.Cut(f[1], ".")
				}
				if dir == "pledge" || strings.HasPrefix(target, "linux/") || strings.HasPrefix(target, "android/") ||
					(strings.HasPrefix(k, "type ") || strings.HasPrefix(k, "field ") || strings.HasPrefix(k, "method ")) && need[dir][owner] {
					t.Errorf("%s %s: %s is missing", target, dir, k)
				}
			}
		}
	}
	// The shared declarations (EnvExecSupervisor among them) are one file,
	// pledge/api.go, for every platform; pledge's TestEnvNames checks it
	// against the supervisor's.
}
