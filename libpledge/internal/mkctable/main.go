//go:build linux

// Command mkctable writes libpledge's generated C data (ztable_amd64.h,
// ztable_arm64.h, zcommon.h) from the promise table and the unveil model
// (package libpledge/internal/ctable). Run it with `go generate
// ./libpledge` from the module root; TestGeneratedTables fails when the
// checked-in files are stale.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"sort"

	"github.com/landpledge/landpledge/libpledge/internal/ctable"
)

func main() {
	dir := flag.String("dir", ".", "directory to write the files to (libpledge/)")
	flag.Parse()
	files, err := ctable.Files()
	if err != nil {
		log.Fatalf("mkctable: %v", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(*dir, n), files[n], 0o644); err != nil {
			log.Fatalf("mkctable: %v", err)
		}
	}
}
