//go:build !unix

package web

import "os"

// fileOwner is unknown on this system.
func fileOwner(os.FileInfo) (int, bool) { return 0, false }
