// Package libpledge holds the Go side of the C library in this directory:
// the generator of its C data (go generate ./libpledge) and the tests
// that build the library with make and compare it with the Go packages
// (the differential filter and plan tests, OpenBSD's regress cases in C,
// the exec supervisor helper). The C library itself needs no Go; see
// README.md.
package libpledge

//go:generate go run ./internal/mkctable -dir .
