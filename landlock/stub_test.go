//go:build linux

package landlock

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"sort"
	"strings"
	"testing"
)

// TestStubRights checks stub_other.go, the constants this package has on
// systems without Landlock, against the real ones: the same rights
// (Access*, Scope*) as rights.go, with the same values.
func TestStubRights(t *testing.T) {
	real := map[string]uint64{
		"AccessFSExecute": AccessFSExecute, "AccessFSWriteFile": AccessFSWriteFile,
		"AccessFSReadFile": AccessFSReadFile, "AccessFSReadDir": AccessFSReadDir,
		"AccessFSRemoveDir": AccessFSRemoveDir, "AccessFSRemoveFile": AccessFSRemoveFile,
		"AccessFSMakeChar": AccessFSMakeChar, "AccessFSMakeDir": AccessFSMakeDir,
		"AccessFSMakeReg": AccessFSMakeReg, "AccessFSMakeSock": AccessFSMakeSock,
		"AccessFSMakeFifo": AccessFSMakeFifo, "AccessFSMakeBlock": AccessFSMakeBlock,
		"AccessFSMakeSym": AccessFSMakeSym, "AccessFSRefer": AccessFSRefer,
		"AccessFSTruncate": AccessFSTruncate, "AccessFSIoctlDev": AccessFSIoctlDev,
		"AccessFSResolveUnix": AccessFSResolveUnix, "AccessFSFile": AccessFSFile,
		"AccessNetBindTCP": AccessNetBindTCP, "AccessNetConnectTCP": AccessNetConnectTCP,
		"ScopeAbstractUnixSocket": ScopeAbstractUnixSocket, "ScopeSignal": ScopeSignal,
	}
	fset := token.NewFileSet()
	stub, err := parser.ParseFile(fset, "stub_other.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The stub imports nothing, so it type-checks alone.
	pkg, err := new(types.Config).Check("landlock", fset, []*ast.File{stub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rights, err := parser.ParseFile(fset, "rights.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := rightConsts(rights)
	got := rightConsts(stub)
	if !equalStrings(want, got) {
		t.Errorf("rights.go exports constants %v, stub_other.go %v", want, got)
	}
	for _, name := range got {
		v, ok := constant.Uint64Val(pkg.Scope().Lookup(name).(*types.Const).Val())
		r, known := real[name]
		switch {
		case !known:
			t.Errorf("%s: no real value in this test; add it", name)
		case !ok || v != r:
			t.Errorf("stub_other.go %s = %#x, rights.go %#x", name, v, r)
		}
	}
}

// rightConsts lists the right constants f declares.
func rightConsts(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "Access") || strings.HasPrefix(n.Name, "Scope") {
					names = append(names, n.Name)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
