//go:build !(linux || darwin || freebsd)

package web

// diskFree returns -1 (unknown): free space is read only on Linux, macOS
// and FreeBSD.
func diskFree(string) int64 { return -1 }
