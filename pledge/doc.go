// Package pledge is OpenBSD's pledge(2) and unveil(2) for Linux, with the
// signatures and errnos of golang.org/x/sys/unix on OpenBSD: unveil maps to
// Landlock, and the promises of pledge compile (package promise) to one
// seccomp-BPF filter per call, installed on every thread.
package pledge
