package api

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/alliance-ledger/alliance/projections"
)

// viewCache keeps encoded view responses. A view is a deterministic
// function of the log up to a position and of the query, so a response
// keyed by (route, query, who may see what, position) never goes stale:
// the cache only ever evicts, by size, least recently used first.
// Concurrent misses on one key compute it once.
type viewCache struct {
	mu      sync.Mutex
	max     int
	size    int
	lru     *list.List // of *cached, most recent at the front
	byKey   map[string]*list.Element
	loading map[string]*loadingEntry
}

type cached struct {
	key  string
	body []byte
	etag string
}

type loadingEntry struct {
	done chan struct{}
	c    *cached
	err  error
}

func newViewCache(maxBytes int) *viewCache {
	return &viewCache{max: maxBytes, lru: list.New(), byKey: map[string]*list.Element{}, loading: map[string]*loadingEntry{}}
}

// get returns the cached response of key, computing it with fill on a
// miss (once, however many callers miss together).
func (vc *viewCache) get(key string, fill func() ([]byte, error)) (*cached, error) {
	vc.mu.Lock()
	if el, ok := vc.byKey[key]; ok {
		vc.lru.MoveToFront(el)
		c := el.Value.(*cached)
		vc.mu.Unlock()
		return c, nil
	}
	if l, ok := vc.loading[key]; ok {
		vc.mu.Unlock()
		<-l.done
		return l.c, l.err
	}
	l := &loadingEntry{done: make(chan struct{})}
	vc.loading[key] = l
	vc.mu.Unlock()

	body, err := fill()
	if err == nil {
		l.c = &cached{key: key, body: body, etag: etagOf(key)}
	}
	l.err = err
	vc.mu.Lock()
	delete(vc.loading, key)
	if err == nil && len(body) <= vc.max/4 {
		vc.byKey[key] = vc.lru.PushFront(l.c)
		vc.size += len(body)
		for vc.size > vc.max {
			el := vc.lru.Back()
			c := el.Value.(*cached)
			vc.lru.Remove(el)
			delete(vc.byKey, c.key)
			vc.size -= len(c.body)
		}
	}
	vc.mu.Unlock()
	close(l.done)
	return l.c, err
}

// etagOf is a strong ETag for a key: the same key always has the same
// bytes.
func etagOf(key string) string {
	h := sha256.Sum256([]byte(key))
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// canonicalQuery is the request's query without the parameters that do
// not change the answer once the position is resolved (min_seq, and the
// position parameters themselves), sorted.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		switch k {
		case "min_seq", "as_of_seq", "as_of_time":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v) + "&")
		}
	}
	return b.String()
}

// scope is who the answer is shaped for: members get their own detail
// only, every other role the same answer.
func scope(p *Principal) string {
	if p.Role == RoleMember {
		return "member:" + p.Member
	}
	return "all"
}

// cachedView answers a view: it resolves the query on the model, and
// serves the encoded answer for (route, query, scope, position) from the
// cache, computing and encoding it with compute on a miss. It honours
// If-None-Match: the ETag is a function of the key, so a client polling an
// unchanged log gets 304 without anything being computed.
func (s *Server) cachedView(c *call, compute func(m *projections.Model, q projections.Query) (any, error)) error {
	var (
		hit         *cached
		notModified bool
		etag        string
	)
	err := s.withView(c, func(m *projections.Model, q projections.Query) (err error) {
		// The path, not the route's pattern: its parameters (the payout,
		// the member) are part of what is asked.
		key := c.r.Method + " " + c.r.URL.EscapedPath() + "|" + canonicalQuery(c.r.URL.Query()) + "|" + scope(c.p) + "|" + strconv.FormatUint(q.Seq, 10)
		if etag = etagOf(key); c.r.Header.Get("If-None-Match") == etag {
			notModified = true
			return nil
		}
		hit, err = s.views.get(key, func() ([]byte, error) {
			v, err := compute(m, q)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(v)
			return append(b, '\n'), err
		})
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag)
	c.w.Header().Set("Cache-Control", "private, no-cache")
	if notModified {
		c.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	c.w.Header().Set("Content-Type", "application/json")
	// The length is known: the body goes out as it is, not in chunks.
	c.w.Header().Set("Content-Length", strconv.Itoa(len(hit.body)))
	_, err = c.w.Write(hit.body)
	return err
}
