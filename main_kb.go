package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"safedesk/store"
)

func runKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{"usage: safedesk kb import [--data DIR] FOLDER"}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("kb import", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: safedesk kb import [--data DIR] FOLDER"}
	}
	db, err := openStore(ctx, cfg.Data, "", false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	created, updated, err := db.ImportArticles(ctx, os.DirFS(fs.Arg(0)), store.SystemActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d new and %d updated articles\n", created, updated)
	return nil
}
