package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"safedesk/web"
)

func runVersion(stdout io.Writer) error {
	b := web.ReadBuild()
	if b.GoVersion == "" {
		return errors.New("no build information in this binary")
	}
	fmt.Fprintf(stdout, "module    %s\n", b.Module)
	fmt.Fprintf(stdout, "version   %s\n", b.Version)
	rev := b.Revision
	if rev == "" {
		rev = "unknown"
	}
	if b.Modified {
		rev += " (modified)"
	}
	fmt.Fprintf(stdout, "revision  %s\n", rev)
	if b.Built.IsZero() {
		fmt.Fprintln(stdout, "built     unknown")
	} else {
		fmt.Fprintf(stdout, "built     %s, %s ago; from %s\n", b.Built.UTC().Format(time.RFC3339), days(b.Age(time.Now())), b.BuiltFrom)
	}
	fmt.Fprintf(stdout, "go        %s\n", b.GoVersion)
	fmt.Fprintln(stdout, "dependencies:")
	for _, d := range b.Deps {
		fmt.Fprintf(stdout, "  %s %s\n", d.Path, d.Version)
	}
	return nil
}
