package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections"
)

// storeFlags are the flags of every command that opens the ledger.
type storeFlags struct {
	data       string
	natsURL    string
	natsCreds  string
	natsCA     string
	natsCert   string
	natsKey    string
	natsListen string
	replicas   int
	verbose    bool
}

func (f *storeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("ALLIANCE_DATA")
	if def == "" {
		def = "alliance-data"
	}
	fs.StringVar(&f.data, "data", def, "data directory (embedded NATS JetStream files, keys); default $ALLIANCE_DATA or ./alliance-data")
	fs.StringVar(&f.natsURL, "nats-url", getenv("ALLIANCE_NATS_URL"), "use the NATS server or cluster at this URL (several comma-separated; user:password@ in a URL works) instead of the embedded one")
	fs.StringVar(&f.natsCreds, "nats-creds", getenv("ALLIANCE_NATS_CREDS"), "NATS credentials file (JWT and NKey seed) for --nats-url")
	fs.StringVar(&f.natsCA, "nats-ca", getenv("ALLIANCE_NATS_CA"), "CA certificate (PEM) that signed the NATS servers' TLS certificates")
	fs.StringVar(&f.natsCert, "nats-cert", getenv("ALLIANCE_NATS_CERT"), "client certificate (PEM) for NATS servers that verify clients ...")
	fs.StringVar(&f.natsKey, "nats-key", getenv("ALLIANCE_NATS_KEY"), "... and its private key (PEM)")
	fs.StringVar(&f.natsListen, "nats-listen", "", "let the embedded NATS server listen on host:port (for the nats CLI); by default it accepts no outside connection")
	fs.IntVar(&f.replicas, "replicas", 1, "stream replicas when creating an alliance's stream on a NATS cluster")
	fs.BoolVar(&f.verbose, "v", false, "log debug details to stderr")
}

// ledgerConn is an opened ledger: the store and what must be closed.
type ledgerConn struct {
	store    *natsstore.Store
	nc       *nats.Conn
	embedded *natsstore.Embedded
	logger   *slog.Logger
	// quarantined counts stream messages readers skipped because they are
	// not commits (published by hand, say); reads run on one goroutine.
	quarantined int

	mu      sync.Mutex
	runners map[string]*projections.Runner // told of the messages the store skips
	// onQuarantine, if set, is told of every message the store skips.
	onQuarantine func(natsstore.Quarantined)
}

// runner returns a projections runner for an alliance, told of the stream
// messages the store skips. Snapshots go to the JetStream object store.
func (lc *ledgerConn) runner(alliance string, opts projections.RunnerOptions) *projections.Runner {
	if opts.Logger == nil {
		opts.Logger = lc.logger
	}
	r := projections.NewRunner(lc.store, alliance, opts)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.runners == nil {
		lc.runners = map[string]*projections.Runner{}
	}
	lc.runners[alliance] = r
	return r
}

func (f *storeFlags) open(ctx context.Context, e *env) (*ledgerConn, error) {
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	lc := &ledgerConn{logger: logger}
	if f.natsURL == "" && (f.natsCreds != "" || f.natsCA != "" || f.natsCert != "" || f.natsKey != "") {
		return nil, errors.New("--nats-creds, --nats-ca, --nats-cert and --nats-key go with --nats-url")
	}
	if (f.natsCert == "") != (f.natsKey == "") {
		return nil, errors.New("give both --nats-cert and --nats-key, or neither")
	}
	if f.natsURL != "" {
		var opts []nats.Option
		if f.natsCreds != "" {
			opts = append(opts, nats.UserCredentials(f.natsCreds))
		}
		if f.natsCA != "" {
			opts = append(opts, nats.RootCAs(f.natsCA))
		}
		if f.natsCert != "" {
			opts = append(opts, nats.ClientCert(f.natsCert, f.natsKey))
		}
		nc, err := natsstore.Connect(f.natsURL, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", f.natsURL, err)
		}
		lc.nc = nc
	} else {
		// nats-server keeps its streams in DIR/jetstream.
		dir := f.data
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		emb, err := natsstore.StartEmbedded(dir, f.natsListen, logger)
		if err != nil {
			return nil, fmt.Errorf("start embedded NATS in %s: %w", dir, err)
		}
		lc.embedded = emb
		if f.natsListen != "" {
			fmt.Fprintf(e.stderr, "embedded NATS listening at %s\n", emb.ClientURL())
		}
		nc, err := emb.Connect()
		if err != nil {
			emb.Shutdown()
			return nil, fmt.Errorf("connect to embedded NATS: %w", err)
		}
		lc.nc = nc
	}
	st, err := natsstore.New(lc.nc, natsstore.Options{
		Replicas: f.replicas,
		Logger:   logger,
		OnQuarantine: func(q natsstore.Quarantined) {
			lc.mu.Lock()
			lc.quarantined++
			r := lc.runners[q.Alliance]
			hook := lc.onQuarantine
			lc.mu.Unlock()
			if r != nil {
				r.NoteMessage(q.StreamSeq, q.Reason)
			}
			if hook != nil {
				hook(q)
			}
		},
	})
	if err != nil {
		lc.Close()
		return nil, err
	}
	lc.store = st
	return lc, nil
}

// alliances returns the alliance named, or every alliance when id is "".
func (lc *ledgerConn) alliances(ctx context.Context, id string) ([]string, error) {
	if id != "" {
		return []string{id}, nil
	}
	return lc.store.Alliances(ctx)
}

func (lc *ledgerConn) Close() {
	if lc.nc != nil {
		lc.nc.Drain()
		lc.nc.Close()
	}
	if lc.embedded != nil {
		lc.embedded.Shutdown()
	}
}

var _ ledger.Store = (*natsstore.Store)(nil)

// where describes the ledger location for messages.
func (f *storeFlags) where() string {
	if f.natsURL != "" {
		return "NATS at " + f.natsURL
	}
	return f.data
}
