//go:build !linux

package storetest

import "time"

// ThreadCPUMeasured says whether ThreadCPU reads the thread's clock here.
const ThreadCPUMeasured = false

// ThreadCPU is 0 where the thread's CPU clock is not read (see the Linux
// version).
func ThreadCPU() time.Duration { return 0 }
