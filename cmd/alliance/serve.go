package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/alliance-ledger/alliance/api"
	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections"
)

// serveFlags are the flags of serve (and of demo, which serves after
// building).
type serveFlags struct {
	addr             string
	tlsCert, tlsKey  string
	checkpointPeriod time.Duration
	commitDelay      time.Duration
	key              keyFlags
}

func (f *serveFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("ALLIANCE_ADDR")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	fs.StringVar(&f.addr, "addr", def, "HTTP address to listen on (default $ALLIANCE_ADDR or 127.0.0.1:8080; port 0 picks a free one)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM) ...")
	fs.StringVar(&f.tlsKey, "tls-key", "", "... and this private key (PEM)")
	fs.DurationVar(&f.checkpointPeriod, "checkpoint-check", 30*time.Second, "how often to sign the checkpoints that are due")
	fs.DurationVar(&f.commitDelay, "commit-delay", ledger.DefaultCommitDelay, "how long a commit may wait for more requests, when it holds fewer than the last one (0: none; a lone caller never waits)")
	f.key.register(fs, getenv)
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	var vf serveFlags
	sf.register(fs, e.getenv)
	vf.register(fs, e.getenv)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance serve [flags]\n\nServes the JSON API (/v1, described at /openapi.json), the web dashboard (/), /healthz and /metrics")
		fmt.Fprintln(e.stderr, "over the ledger in --data (embedded NATS) or at --nats-url, until SIGINT or SIGTERM. Callers need a token:")
		fmt.Fprintln(e.stderr, "create one with 'alliance token create' before serving.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if err := vf.check(); err != nil {
		return err
	}
	lc, err := sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	return serve(ctx, e, lc, sf, vf, nil)
}

func (f *serveFlags) check() error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("give both --tls-cert and --tls-key, or neither")
	}
	if f.commitDelay < 0 || f.commitDelay > time.Second {
		return fmt.Errorf("--commit-delay %v: want 0 to 1s", f.commitDelay)
	}
	return nil
}

// serve runs the API over an opened ledger until ctx ends. ready, if set,
// is called with the base URL once the listener is up.
func serve(ctx context.Context, e *env, lc *ledgerConn, sf storeFlags, vf serveFlags, ready func(url string)) error {
	level := slog.LevelInfo
	if sf.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	metrics := api.NewMetrics()
	w := ledger.NewWriter(lc.store, ledger.WriterOptions{Logger: logger, OnCommit: metrics.ObserveCommit, CommitDelay: writerDelay(vf.commitDelay)})
	defer w.Close()
	tokens, err := api.OpenTokens(ctx, lc.store.JetStream(), sf.replicas)
	if err != nil {
		return err
	}
	if err := tokens.Watch(ctx); err != nil {
		return err
	}
	defer tokens.Close()
	signer, vkey, _, err := vf.key.load(sf)
	if err != nil {
		return err
	}
	srv, err := api.New(api.Config{
		Store: lc.store, Writer: w, Tokens: tokens, Logger: logger, Metrics: metrics, VerifierKey: vkey,
		NewRunner: func(alliance string) *projections.Runner {
			return lc.runner(alliance, projections.RunnerOptions{Snapshots: lc.store.Snapshots(), Logger: logger})
		},
		NewCheckpointer: func(alliance string) *audit.Checkpointer { return lc.newCheckpointer(alliance, signer) },
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Warm(ctx); err != nil {
		return fmt.Errorf("follow the alliances: %w", err)
	}
	ln, err := net.Listen("tcp", vf.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", vf.addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // exports of a large log take a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if vf.tlsCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	cpCtx, stopCP := context.WithCancel(ctx)
	defer stopCP()
	go srv.RunCheckpoints(cpCtx, vf.checkpointPeriod)
	errc := make(chan error, 1)
	go func() {
		if vf.tlsCert != "" {
			errc <- hs.ServeTLS(ln, vf.tlsCert, vf.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	logger.Info("serving", "url", url, "ledger", sf.where())
	fmt.Fprintf(e.stdout, "serving %s (API %s/v1, dashboard %s/, OpenAPI %s/openapi.json)\n", url, url, url, url)
	if ready != nil {
		ready(url)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(e.stdout, "stopped")
	return nil
}
