//go:build linux || darwin || freebsd

package web

import "syscall"

// diskFree returns the bytes available to this process on the file system
// that holds dir, or -1 when unknown.
func diskFree(dir string) int64 {
	var st syscall.Statfs_t
	if dir == "" || syscall.Statfs(dir, &st) != nil {
		return -1
	}
	return int64(uint64(st.Bavail) * uint64(st.Bsize))
}
