package storetest

import (
	"syscall"
	"time"
	"unsafe"
)

// ThreadCPUMeasured says whether ThreadCPU reads the thread's clock here.
const ThreadCPUMeasured = true

// clockThreadCPU is CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPU = 3

// ThreadCPU is the CPU time, user and system, that the calling OS thread
// has used, to the nanosecond. Benchmarks that compare two code paths on
// a shared machine time each with it beside the wall clock: a thread's CPU
// time does not count the time it waited for a core. Call
// runtime.LockOSThread first so that the goroutine keeps its thread.
func ThreadCPU() time.Duration {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPU, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
