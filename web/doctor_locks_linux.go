package web

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder is the pid of the process that holds the flock on the file
// at path, from /proc/locks, whose lines name the lock's pid and the
// file's device (major:minor, hex) and inode:
//
//	1: FLOCK  ADVISORY  WRITE 4242 fd:01:1311 0 EOF
func lockHolder(path string) (int, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(locks)) {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "FLOCK" && f[5] == want {
			pid, err := strconv.Atoi(f[4])
			return pid, err == nil && pid > 0
		}
	}
	return 0, false
}
