package projections_test

import (
	"context"
	"encoding/json"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
)

var synStart = time.Date(2022, 1, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// syntheticLog appends n synthetic requests to a memstore.
func syntheticLog(t testing.TB, alliance string, seed uint64, n int) *memstore.Store {
	t.Helper()
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{})
	defer w.Close()
	g := sample.NewSynthetic(alliance, seed, synStart)
	reqs := make([]ledger.Request, n)
	for i := range reqs {
		reqs[i] = g.Next()
	}
	if _, err := w.AppendInOrder(context.Background(), reqs, nil); err != nil {
		t.Fatal(err)
	}
	if last, _ := store.Last(context.Background(), alliance); last != g.Last() {
		t.Fatalf("log ends at %d, the generator counted %d", last, g.Last())
	}
	return store
}

// events decodes a log.
func events(t testing.TB, store ledger.Store, alliance string) []*ledger.Event {
	t.Helper()
	var evs []*ledger.Event
	err := store.Read(context.Background(), alliance, 1, func(s ledger.Stored) error {
		e, err := ledger.DecodeEvent(s.Data)
		if err != nil {
			return err
		}
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// fold builds a model from events, failing on any event it rejects.
func fold(t testing.TB, alliance string, evs []*ledger.Event) *projections.Model {
	t.Helper()
	m := projections.NewModel(alliance)
	for _, e := range evs {
		if err := m.Apply(e); err != nil {
			t.Fatalf("position %d (%s): %v", e.Seq, e.Type, err)
		}
	}
	return m
}

// views renders every view of a model for a query as JSON.
func views(t testing.TB, m *projections.Model, q projections.Query) string {
	t.Helper()
	b, err := m.Balances(q)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Risk(q)
	if err != nil {
		t.Fatal(err)
	}
	o, err := m.Outputs(q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(struct {
		B *projections.Balances
		R *projections.Risk
		O *projections.Outputs
	}{b, r, o})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// checkInvariants checks what must hold of every view at every position:
// balances reconcile with the alliance totals, risk shares sum to exactly
// 1 and split each loss exactly, ownership-weighted outputs sum to the
// number of assets.
func checkInvariants(t testing.TB, m *projections.Model, q projections.Query) {
	t.Helper()
	b, err := m.Balances(q)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]*projections.Amounts{}
	add := func(as []projections.Amounts) {
		for _, a := range as {
			s := sum[a.Currency]
			if s == nil {
				s = &projections.Amounts{Currency: a.Currency}
				sum[a.Currency] = s
			}
			s.Confirmed += a.Confirmed
			s.Unconfirmed += a.Unconfirmed
			s.Contested += a.Contested
			s.FundingReceived += a.FundingReceived
			s.PayoutsReceived += a.PayoutsReceived
			s.PayoutsSettled += a.PayoutsSettled
			s.CostsBorne += a.CostsBorne
			s.LossesBorne += a.LossesBorne
			s.Net += a.Net
		}
	}
	for _, mb := range b.Members {
		add(mb.Totals)
	}
	add(b.Common.Totals)
	for _, tot := range b.Totals {
		s := sum[tot.Currency]
		if s == nil {
			t.Fatalf("seq %d: totals in %s but no member or common balance in it", b.AsOfSeq, tot.Currency)
		}
		got := *s
		want := tot
		want.ByKind = nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seq %d: members + common = %+v, alliance totals = %+v", b.AsOfSeq, got, want)
		}
		var kinds projections.KindAmounts
		for _, k := range tot.ByKind {
			kinds.Confirmed += k.Confirmed
			kinds.Unconfirmed += k.Unconfirmed
			kinds.Contested += k.Contested
		}
		if kinds.Confirmed != tot.Confirmed || kinds.Unconfirmed != tot.Unconfirmed || kinds.Contested != tot.Contested {
			t.Fatalf("seq %d: by-kind amounts %+v do not add up to %+v", b.AsOfSeq, kinds, tot)
		}
		delete(sum, tot.Currency)
	}
	for c, s := range sum {
		if !reflect.DeepEqual(*s, projections.Amounts{Currency: c}) {
			t.Fatalf("seq %d: members hold %+v in %s, which the totals lack", b.AsOfSeq, s, c)
		}
	}
	r, err := m.Risk(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Projects {
		if len(p.Shares) == 0 || p.AtRisk.Sign() == 0 {
			continue
		}
		total := new(big.Rat)
		var loss int64
		for _, s := range p.Shares {
			total.Add(total, s.Share.Rat())
			loss += s.LossBorne
		}
		if total.Cmp(big.NewRat(1, 1)) != 0 {
			t.Fatalf("seq %d: project %s shares sum to %s", r.AsOfSeq, p.Project, total.RatString())
		}
		if loss != p.Loss {
			t.Fatalf("seq %d: project %s losses borne sum to %d, the loss is %d", r.AsOfSeq, p.Project, loss, p.Loss)
		}
	}
	o, err := m.Outputs(q)
	if err != nil {
		t.Fatal(err)
	}
	w := new(big.Rat)
	for _, c := range o.ByMember {
		w.Add(w, c.Weighted.Rat())
	}
	if w.Cmp(new(big.Rat).SetInt64(int64(o.Assets))) != 0 {
		t.Fatalf("seq %d: ownership-weighted outputs sum to %s, %d assets", o.AsOfSeq, w.RatString(), o.Assets)
	}
	n := 0
	for _, c := range o.ByType {
		n += c.Count
	}
	if n != o.Assets {
		t.Fatalf("seq %d: outputs by type count %d, %d assets", o.AsOfSeq, n, o.Assets)
	}
}
