// Command ferretdb runs FerretDB 1.24.2 (SQLite backend) for DropIn's local default start and tests.
//
// It wraps FerretDB's embeddable package instead of `go install .../cmd/ferretdb@v1.24.2`, because
// that CLI panics at start when built outside FerretDB's own release tooling (its build/version
// check wants a generated version.txt). The embeddable package runs the same handler with telemetry
// locked off and no debug listener, so two instances never collide on a fixed port.
// See docs/decisions/001-ferretdb-locally.md.
//
// scripts/tools.ts builds it against a copy of FerretDB's module with the *.patch files in this
// folder applied (docs/decisions/013); a plain `go build` here gets FerretDB unpatched.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (a directory, with trailing slash)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: bad --log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
		Logger:    logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()
	fmt.Println("ferretdb listening:", f.MongoDBURI())
	<-done
}
