package bot

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling thread has used, and whether
// the system tells it. With the goroutine locked to its thread, the CPU
// time of a turn is its server time without the waits for a core that a
// busy machine adds.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
