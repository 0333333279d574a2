package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/alliance-ledger/alliance/projections"
)

// balancesMemo keeps the last few balances views computed, as values.
// Many answers are cut from one view: the alliance's balances, each
// member's own (GET /balances?member=M, the statement, the member's
// dashboard), the summary and the detail. On a long log the view takes
// tens of milliseconds to compute, and the response cache holds each
// answer separately: without the memo, the first read of each of two
// hundred members would compute the whole view again. Like the response
// cache it never goes stale: a view is a function of the log up to its
// position. The values it returns are shared and must not be changed.
type balancesMemo struct {
	mu      sync.Mutex
	max     int
	order   []string // keys, least recently used first
	entries map[string]*memoEntry
	fills   int // views computed
}

type memoEntry struct {
	done chan struct{}
	b    *projections.Balances
	err  error
}

const balancesMemoSize = 8

func newBalancesMemo() *balancesMemo {
	return &balancesMemo{max: balancesMemoSize, entries: map[string]*memoEntry{}}
}

// memoKey names a view of an alliance: the position and the period.
func memoKey(alliance string, q projections.Query) string {
	b := make([]byte, 0, len(alliance)+64)
	b = append(b, alliance...)
	b = append(b, '|')
	b = strconv.AppendUint(b, q.Seq, 10)
	for _, t := range [2]time.Time{q.From, q.To} {
		b = append(b, '|')
		if !t.IsZero() {
			b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		}
	}
	return string(b)
}

// get returns the balances of the alliance for q, computing them with m
// once however many callers ask together. q.Seq must be resolved (not 0).
func (bm *balancesMemo) get(alliance string, m *projections.Model, q projections.Query) (*projections.Balances, error) {
	key := memoKey(alliance, q)
	bm.mu.Lock()
	if e, ok := bm.entries[key]; ok {
		bm.touch(key)
		bm.mu.Unlock()
		<-e.done
		return e.b, e.err
	}
	e := &memoEntry{done: make(chan struct{})}
	bm.entries[key] = e
	bm.fills++
	bm.order = append(bm.order, key)
	for len(bm.order) > bm.max {
		delete(bm.entries, bm.order[0])
		bm.order = bm.order[1:]
	}
	bm.mu.Unlock()

	e.b, e.err = m.Balances(q)
	if e.err != nil {
		// An error is not remembered: the next caller tries again.
		bm.mu.Lock()
		if bm.entries[key] == e {
			delete(bm.entries, key)
			bm.remove(key)
		}
		bm.mu.Unlock()
	}
	close(e.done)
	return e.b, e.err
}

// touch moves key to the most recently used end. bm.mu is held.
func (bm *balancesMemo) touch(key string) {
	bm.remove(key)
	bm.order = append(bm.order, key)
}

// remove takes key out of the order. bm.mu is held.
func (bm *balancesMemo) remove(key string) {
	for i, k := range bm.order {
		if k == key {
			bm.order = append(bm.order[:i], bm.order[i+1:]...)
			return
		}
	}
}

// balances is the alliance's balances view for q, from the memo. The
// result is shared: cut from it with onlyMembers, never in place.
func (s *Server) balances(alliance string, m *projections.Model, q projections.Query) (*projections.Balances, error) {
	if q.Seq == 0 {
		// Not resolved to a position: the answer would change as the log
		// grows, so it cannot be remembered.
		return m.Balances(q)
	}
	return s.balancesMemo.get(alliance, m, q)
}

// onlyMembers is b with the members keep accepts, as a copy: b is left as
// it is.
func onlyMembers(b *projections.Balances, keep func(member string) bool) *projections.Balances {
	out := *b
	out.Members = make([]projections.MemberBalance, 0, 1)
	for _, mb := range b.Members {
		if keep(mb.Member) {
			out.Members = append(out.Members, mb)
		}
	}
	return &out
}
