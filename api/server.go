// Package api is the ledger's HTTP face: the JSON API under /v1, its
// OpenAPI document, bearer-token authentication with roles, the web
// dashboard, and the operational endpoints (/healthz, /metrics).
//
// Every write goes through the ledger's writer with the caller's principal
// as the actor; every read is answered from the alliance's projections,
// kept up to date by a runner that follows its log, as of any position.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections"
)

// Config is what a Server is built from. Store, Writer, Tokens, NewRunner
// are required.
type Config struct {
	Store  *natsstore.Store
	Writer *ledger.Writer
	Tokens *Tokens
	// NewRunner returns a projections runner for an alliance (with its
	// snapshot store and quarantine wiring); the server restores and
	// follows it.
	NewRunner func(alliance string) *projections.Runner
	// NewCheckpointer returns an alliance's checkpointer, not loaded; nil
	// means the server signs no checkpoints (audit reads still work).
	NewCheckpointer func(alliance string) *audit.Checkpointer
	// VerifierKey is the ledger's note verifier key, shown with the audit
	// status.
	VerifierKey string
	Logger      *slog.Logger
	// Registry receives the server's metrics; nil makes a new one.
	Registry *prometheus.Registry
	// Metrics, if set, is used instead of registering new collectors (one
	// per process: the writer's commit hook feeds it too).
	Metrics *Metrics
	// ViewCacheBytes bounds the cache of encoded view responses; 0 means
	// 256 MiB.
	ViewCacheBytes int
	// MaxBodyBytes limits a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// Now is the clock for occurred_at defaults and token times.
	Now func() time.Time
}

// Server serves the API and the dashboard.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	metrics *Metrics
	reg     *prometheus.Registry
	views   *viewCache
	// balancesMemo keeps computed balances views that several answers
	// are cut from.
	balancesMemo *balancesMemo

	mu        sync.Mutex
	alliances map[string]*live
	ctx       context.Context // lives as long as the server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// live is one alliance as the server follows it.
type live struct {
	id     string
	runner *projections.Runner
	// startLast is the log's last position when following started: reads
	// wait for the runner to reach it, so that a fresh server never
	// answers from a half-folded model.
	startLast uint64

	cpMu sync.Mutex
	cp   *audit.Checkpointer
}

// New builds a server. Close it to stop following the alliances.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Writer == nil || cfg.Tokens == nil || cfg.NewRunner == nil {
		return nil, errors.New("api: Store, Writer, Tokens and NewRunner are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ViewCacheBytes <= 0 {
		cfg.ViewCacheBytes = 256 << 20
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := cfg.Metrics
	if m == nil {
		m = NewMetrics()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), metrics: m, reg: reg, alliances: map[string]*live{},
		views: newViewCache(cfg.ViewCacheBytes), balancesMemo: newBalancesMemo()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := m.register(reg, s); err != nil {
		return nil, err
	}
	s.registerRoutes()
	return s, nil
}

// Close stops following the alliances.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// Handler is the server's HTTP handler with its middleware: request ids,
// structured access logs, metrics, body size limit and panic recovery.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		r = r.WithContext(context.WithValue(ctx, principalKey{}, &principalBox{}))
		r.Body = http.MaxBytesReader(rw, r.Body, s.cfg.MaxBodyBytes)
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic serving request", "request_id", id, "panic", p, "path", r.URL.Path)
				if !rw.wrote {
					writeProblem(rw, r, &Problem{Status: http.StatusInternalServerError, Title: "internal error", Detail: "the server failed; the request id is in the log"})
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.httpDuration.WithLabelValues(r.Method, route, strconv.Itoa(rw.status)).Observe(d.Seconds())
			s.log.LogAttrs(r.Context(), levelFor(rw.status), "http request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", route), slog.Int("status", rw.status), slog.Duration("duration", d),
				slog.String("principal", principalID(r)))
		}()
		s.mux.ServeHTTP(rw, r)
	})
}

func levelFor(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

type requestIDKey struct{}
type principalKey struct{}

// RequestID is the request's id (from X-Request-Id, or made up).
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

func principalID(r *http.Request) string {
	if p, ok := r.Context().Value(principalKey{}).(*principalBox); ok && p.p != nil {
		return p.p.ID
	}
	return ""
}

// principalBox lets the auth step tell the access log who called.
type principalBox struct{ p *Principal }

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Route is one registered route, as the OpenAPI document must describe it.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /v1/alliances/{alliance}
	Access  Access
}

// Access says who may call a route.
type Access int

const (
	Public   Access = iota // no token
	Read                   // any principal who can see the alliance (members see their own detail only)
	ReadAll                // secretariat, auditor, evaluator
	Write                  // authorised per command (see authorize)
	Operator               // a secretariat token for every alliance
)

// Routes lists the registered routes, sorted by pattern then method.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// call is what a handler gets: the request, the principal and the
// alliance named in the path (if any).
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	p        *Principal
	alliance string
}

type handlerFunc func(c *call) error

// handle registers an API route: it authenticates, checks the route's
// access and the alliance in the path, and writes a returned error as
// problem+json.
func (s *Server) handle(method, pattern string, access Access, h handlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Access: access})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, alliance: r.PathValue("alliance")}
		if err := s.authenticate(c, access); err != nil {
			writeError(w, r, err)
			return
		}
		if err := h(c); err != nil {
			writeError(w, r, err)
		}
	})
}

// authenticate resolves the bearer token (or the dashboard's cookie) and
// checks the route's access.
func (s *Server) authenticate(c *call, access Access) error {
	if access == Public {
		return nil
	}
	p, ok := s.principal(c.r)
	if !ok {
		return &Problem{Status: http.StatusUnauthorized, Title: "unauthenticated",
			Detail: "send a valid token: Authorization: Bearer alt_... (alliance token create makes one)"}
	}
	if b, ok := c.r.Context().Value(principalKey{}).(*principalBox); ok {
		b.p = p
	}
	c.p = p
	if c.alliance != "" && !p.CanSee(c.alliance) {
		return forbidden("", "the token is for alliance %q, not %q", p.Alliance, c.alliance)
	}
	switch access {
	case ReadAll:
		if p.Role == RoleMember {
			return forbidden("", "members read the alliance's aggregates and their own statement; this needs a secretariat, auditor or evaluator token")
		}
	case Write:
		if p.Role == RoleAuditor {
			return forbidden("", "auditors read and verify everything and append nothing")
		}
	case Operator:
		if p.Role != RoleSecretariat || p.Alliance != AnyAlliance {
			return forbidden("", "this needs a secretariat token for every alliance (--alliance '*')")
		}
	}
	return nil
}

// principal returns the principal of the request's bearer token or
// dashboard cookie.
func (s *Server) principal(r *http.Request) (*Principal, bool) {
	secret := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := cutPrefixFold(h, "Bearer "); ok {
			secret = t
		}
	} else if ck, err := r.Cookie(sessionCookie); err == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// The dashboard's cookie reads; it never writes. A cross-site form
		// cannot then append on a signed-in member's behalf.
		secret = ck.Value
	}
	if secret == "" {
		return nil, false
	}
	p, ok := s.cfg.Tokens.Lookup(secret)
	if !ok {
		return nil, false
	}
	return &p, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// sessionCookie carries the dashboard's token.
const sessionCookie = "alliance_session"

// live returns the alliance's followed projections, starting to follow it
// on first use. An alliance with no log is ErrNotFound.
func (s *Server) live(ctx context.Context, id string) (*live, error) {
	s.mu.Lock()
	l := s.alliances[id]
	s.mu.Unlock()
	if l != nil {
		return l, nil
	}
	if !ledger.ValidAllianceID(id) {
		return nil, &ledger.FieldError{Field: "alliance", Rule: fmt.Sprintf("%q is not an alliance id", id), Kind: ledger.ErrNotFound}
	}
	last, err := s.cfg.Store.Last(ctx, id)
	if errors.Is(err, ledger.ErrNotFound) || (err == nil && last == 0) {
		return nil, &ledger.FieldError{Field: "alliance", Rule: fmt.Sprintf("there is no alliance %q", id), Kind: ledger.ErrNotFound}
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.alliances[id]; l != nil {
		return l, nil
	}
	l = &live{id: id, runner: s.cfg.NewRunner(id), startLast: last}
	s.alliances[id] = l
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.follow(l)
	}()
	return l, nil
}

// follow restores the alliance's latest snapshot and follows its log until
// the server closes, starting over after a failure.
func (s *Server) follow(l *live) {
	if _, err := l.runner.Restore(s.ctx, 0); err != nil && s.ctx.Err() == nil {
		s.log.Warn("snapshot not restored", "alliance", l.id, "err", err)
	}
	for s.ctx.Err() == nil {
		err := l.runner.Follow(s.ctx)
		if s.ctx.Err() != nil {
			return
		}
		s.log.Error("projections stopped following; retrying", "alliance", l.id, "err", err)
		select {
		case <-s.ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Warm starts following every alliance on the ledger, so that the first
// reads need not wait for a replay.
func (s *Server) Warm(ctx context.Context) error {
	ids, err := s.cfg.Store.Alliances(ctx)
	if err != nil {
		return err
	}
	err = warmAll(ctx, ids, func(ctx context.Context, id string) error {
		_, err := s.live(ctx, id)
		return err
	}, s.log, warmAttempts, time.Second)
	if err != nil {
		return err
	}
	// The writer reads an alliance's whole log on its first request (about
	// 3 s for a million events): read it now, behind the projections, so
	// that the first append after a start need not wait for it.
	s.wg.Go(func() {
		for _, id := range ids {
			if _, err := s.cfg.Writer.Last(s.ctx, id); err != nil && s.ctx.Err() == nil {
				s.log.Warn("writer not warmed; it reads the log on its first request", "alliance", id, "err", err)
			}
		}
	})
	return nil
}

// warmAttempts is how often Warm tries to open an alliance.
const warmAttempts = 5

// warmAll opens each alliance with open. The alliances opened first catch
// up on their logs meanwhile, and with many of them a busy server can
// answer a later alliance's first read after its timeout: that alliance is
// tried again after a pause (doubling), up to attempts times, then left to
// open on its first request, with a warning. One slow stream does not keep
// the server from starting. Only ctx ending is an error.
func warmAll(ctx context.Context, ids []string, open func(ctx context.Context, id string) error, log *slog.Logger, attempts int, pause time.Duration) error {
	for _, id := range ids {
		wait := pause
		for try := 1; ; try++ {
			err := open(ctx, id)
			if err == nil || errors.Is(err, ledger.ErrNotFound) {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if try == attempts {
				log.Warn("alliance not opened at start; it opens on its first request", "alliance", id, "attempts", try, "err", err)
				break
			}
			log.Info("alliance not opened yet; trying again", "alliance", id, "attempt", try, "err", err)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
			wait *= 2
		}
	}
	return nil
}

// WaitReady waits until every alliance followed has folded its log as it
// was when following started.
func (s *Server) WaitReady(ctx context.Context) error {
	s.mu.Lock()
	ls := make([]*live, 0, len(s.alliances))
	for _, l := range s.alliances {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	for _, l := range ls {
		if err := l.runner.WaitFor(ctx, l.startLast); err != nil {
			return err
		}
	}
	return nil
}

// maxWait bounds how long a read waits for min_seq.
const maxWait = 10 * time.Second

// view runs fn on the alliance's model once it has folded min (and what
// the log held when following started).
func (s *Server) view(ctx context.Context, id string, min uint64, fn func(m *projections.Model) error) error {
	l, err := s.live(ctx, id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	if err := l.runner.WaitFor(ctx, max(min, l.startLast)); err != nil {
		if ctx.Err() != nil {
			return &Problem{Status: http.StatusServiceUnavailable, Title: "not caught up",
				Detail: fmt.Sprintf("the projections did not reach position %d within %s (they are at %d); retry", max(min, l.startLast), maxWait, l.runner.Last())}
		}
		return err
	}
	return l.runner.View(fn)
}

// checkpointer returns the alliance's checkpointer with its tree synced.
func (s *Server) withCheckpointer(ctx context.Context, id string, fn func(cp *audit.Checkpointer) error) error {
	if s.cfg.NewCheckpointer == nil {
		return &Problem{Status: http.StatusServiceUnavailable, Title: "no audit key", Detail: "this server was started without the ledger's signing key"}
	}
	l, err := s.live(ctx, id)
	if err != nil {
		return err
	}
	l.cpMu.Lock()
	defer l.cpMu.Unlock()
	if l.cp == nil {
		cp := s.cfg.NewCheckpointer(id)
		if err := cp.Load(ctx); err != nil {
			return err
		}
		l.cp = cp
	} else if err := l.cp.Sync(ctx); err != nil {
		return err
	}
	return fn(l.cp)
}

// RunCheckpoints signs a checkpoint of each followed alliance whenever one
// is due, every interval, until ctx ends.
func (s *Server) RunCheckpoints(ctx context.Context, interval time.Duration) {
	if s.cfg.NewCheckpointer == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.mu.Lock()
		ids := make([]string, 0, len(s.alliances))
		for id := range s.alliances {
			ids = append(ids, id)
		}
		s.mu.Unlock()
		sort.Strings(ids)
		for _, id := range ids {
			err := s.withCheckpointer(ctx, id, func(cp *audit.Checkpointer) error {
				rec, signed, err := cp.MaybeCheckpoint(ctx, s.cfg.Now())
				if signed {
					s.log.Info("checkpoint signed", "alliance", id, "size", rec.Size)
				}
				return err
			})
			if err != nil && ctx.Err() == nil {
				s.log.Warn("checkpoint not signed", "alliance", id, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// healthz reports whether the ledger's NATS answers.
func (s *Server) healthz(c *call) error {
	ctx, cancel := context.WithTimeout(c.r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.cfg.Store.Alliances(ctx); err != nil {
		return &Problem{Status: http.StatusServiceUnavailable, Title: "unhealthy", Detail: "the ledger's NATS does not answer: " + err.Error()}
	}
	return writeJSON(c.w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
}
