package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
)

// sampleStart is the sample alliance's founding day in the tests.
var sampleStart = time.Date(2023, 9, 4, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// sampleAlliance is the id the test harness builds the sample under.
const sampleAlliance = "yrd-battery"

// testEnv is a real server over an embedded JetStream in a temp
// directory, listening on a loopback port.
type testEnv struct {
	t      testing.TB
	URL    string
	Server *Server
	Store  *natsstore.Store
	Writer *ledger.Writer
	Tokens *Tokens
	// Token holds a token per name: "secretariat", "operator", "auditor",
	// "evaluator", "M01", "M02", ... (members of the sample), "other"
	// (a secretariat of another alliance).
	Token map[string]string

	mu sync.Mutex
}

var sharedSample struct {
	once sync.Once
	reqs []ledger.Request
}

// sampleRequests is the sample alliance's requests (computed once).
func sampleRequests() []ledger.Request {
	sharedSample.once.Do(func() {
		sharedSample.reqs = sample.Requests(sampleAlliance, sampleStart, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC))
	})
	return sharedSample.reqs
}

// newTestEnv starts the server; withSample builds the sample alliance first.
func newTestEnv(t testing.TB, withSample bool) *testEnv {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	emb, err := natsstore.StartEmbedded(dir, "", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	var runnersMu sync.Mutex
	runners := map[string]*projections.Runner{}
	st, err := natsstore.New(nc, natsstore.Options{Logger: logger, OnQuarantine: func(q natsstore.Quarantined) {
		runnersMu.Lock()
		r := runners[q.Alliance]
		runnersMu.Unlock()
		if r != nil {
			r.NoteMessage(q.StreamSeq, q.Reason)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	metrics := NewMetrics()
	w := ledger.NewWriter(st, ledger.WriterOptions{Logger: logger, OnCommit: metrics.ObserveCommit})
	t.Cleanup(w.Close)
	ctx := context.Background()
	if withSample {
		if _, err := w.AppendInOrder(ctx, sampleRequests(), nil); err != nil {
			t.Fatalf("build the sample: %v", err)
		}
	}
	tokens, err := OpenTokens(ctx, st.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	if err := tokens.Watch(wctx); err != nil {
		t.Fatal(err)
	}
	signer, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(dir, "keys", "ledger.key"), "alliance-ledger")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{
		Store: st, Writer: w, Tokens: tokens, Logger: logger, Metrics: metrics, VerifierKey: vkey,
		NewRunner: func(a string) *projections.Runner {
			r := projections.NewRunner(st, a, projections.RunnerOptions{Snapshots: st.Snapshots(), Logger: logger})
			runnersMu.Lock()
			runners[a] = r
			runnersMu.Unlock()
			return r
		},
		NewCheckpointer: func(a string) *audit.Checkpointer { return newCheckpointer(st, a, signer) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	te := &testEnv{t: t, URL: hs.URL, Server: srv, Store: st, Writer: w, Tokens: tokens, Token: map[string]string{}}
	mk := func(name string, p Principal) {
		secret, _, err := tokens.Create(ctx, p, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		te.Token[name] = secret
	}
	mk("operator", Principal{Role: RoleSecretariat, Alliance: AnyAlliance, Name: "operator"})
	mk("secretariat", Principal{Role: RoleSecretariat, Alliance: sampleAlliance, Name: "secretariat"})
	mk("auditor", Principal{Role: RoleAuditor, Alliance: sampleAlliance, Name: "auditor"})
	mk("evaluator", Principal{Role: RoleEvaluator, Alliance: sampleAlliance, Name: "evaluator"})
	mk("other", Principal{Role: RoleSecretariat, Alliance: "other-alliance", Name: "other"})
	for _, m := range []string{"M01", "M02", "M03"} {
		mk(m, Principal{Role: RoleMember, Alliance: sampleAlliance, Member: m, Name: "member " + m})
	}
	// The watch sees the new tokens asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for _, secret := range te.Token {
		for {
			if _, ok := tokens.Lookup(secret); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("tokens not seen by the watch")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if withSample {
		if err := srv.Warm(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return te
}

func newCheckpointer(st *natsstore.Store, alliance string, signer note.Signer) *audit.Checkpointer {
	return &audit.Checkpointer{Alliance: alliance, Signer: signer, Records: st.Audit(), Every: 1000, Interval: 10 * time.Minute,
		Read: func(ctx context.Context, from uint64, fn func(uint64, []byte) error) error {
			return st.Read(ctx, alliance, from, func(s ledger.Stored) error { return fn(s.Seq, s.Data) })
		}}
}

// response is an HTTP response read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it does not decode.
func (r *response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d does not decode as %T: %v\n%s", r.Status, v, err, r.Body)
	}
}

// Problem decodes a problem+json body.
func (r *response) Problem(t *testing.T) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d with content type %q, want application/problem+json:\n%s", r.Status, ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	return p
}

// do sends a request with the named token ("" for none) and optional
// headers given as key, value pairs.
func (te *testEnv) do(method, path, token string, body any, headers ...string) *response {
	te.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			te.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, te.URL+path, rd)
	if err != nil {
		te.t.Fatal(err)
	}
	if token != "" {
		secret, ok := te.Token[token]
		if !ok {
			secret = token
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		te.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		te.t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// last is the alliance's last position in the store.
func (te *testEnv) last(alliance string) uint64 {
	te.t.Helper()
	n, err := te.Store.Last(context.Background(), alliance)
	if err != nil {
		te.t.Fatal(err)
	}
	return n
}
