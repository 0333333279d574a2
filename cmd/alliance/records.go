package main

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections/export"
)

// recordTables are an alliance's records in the import workbook's format
// (sheets members, projects, contributions, ip, funding, costs, with the
// importer's English column names), as they stand at position upTo:
// corrections applied, reversed entries left out. Members admitted with
// the founding are left out too: a new alliance is founded with them.
// `alliance import` reads the workbook back.
func recordTables(ctx context.Context, store ledger.Store, alliance string, upTo uint64) ([]export.Table, error) {
	type row struct {
		seq   uint64
		kind  string
		cells []string
	}
	var (
		rows        []*row
		bySeq       = map[uint64]*row{}
		loc         = time.UTC
		founding    = map[string]bool{}
		first       = ""
		projectRows = map[string]*row{}
	)
	text := func(s string) export.Cell { return export.Cell{Text: s} }
	money := func(m ledger.Money) string {
		exp, _ := ledger.CurrencyExponent(m.Currency)
		r := new(big.Rat).SetFrac(big.NewInt(m.Amount), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
		return r.FloatString(exp)
	}
	date := func(t time.Time) string { return t.In(loc).Format("2006-01-02") }
	contribution := func(p *ledger.ContributionRecorded, at time.Time) []string {
		c := []string{p.Member, p.Project, p.Kind, "", "", "", "", p.Valuation, p.Counterparty, p.Description, date(at)}
		if p.Quantity != nil {
			c[4], c[5] = p.Quantity.String(), p.Unit
			if p.UnitValue != nil {
				c[6] = money(*p.UnitValue)
			}
		} else {
			c[3] = money(p.Value)
		}
		return c
	}
	err := store.Read(ctx, alliance, 1, func(st ledger.Stored) error {
		if upTo != 0 && st.Seq > upTo {
			return errStopRead
		}
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			return nil // quarantined positions are not records
		}
		if first == "" {
			first = e.IdempotencyKey + "\x00" + e.CommandDigest
		}
		add := func(kind string, cells ...string) {
			r := &row{seq: e.Seq, kind: kind, cells: cells}
			rows = append(rows, r)
			bySeq[e.Seq] = r
		}
		switch p := e.Payload.(type) {
		case *ledger.AllianceFounded:
			if l, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
				loc = l
			} else if l, err := time.LoadLocation(ledger.DefaultTimeZone); err == nil {
				loc = l
			}
		case *ledger.MemberAdmitted:
			if e.IdempotencyKey+"\x00"+e.CommandDigest == first {
				founding[p.Member] = true
				return nil
			}
			add("members", p.Member, p.Name, p.NameEN, p.Kind, p.Role, p.CreditCode, date(e.OccurredAt))
		case *ledger.ProjectOpened:
			add("projects", p.Project, p.Name, p.Lead, participants(p.Participants, money), string(p.Start), string(p.End))
			projectRows[p.Project] = bySeq[e.Seq]
		case *ledger.ProjectParticipantsChanged:
			// The workbook opens a project with everyone who ever took
			// part, so that their contributions import.
			if r := projectRows[p.Project]; r != nil {
				r.cells[3] = mergeParticipants(r.cells[3], participants(p.Participants, money))
			}
		case *ledger.ContributionRecorded:
			add("contributions", contribution(p, e.OccurredAt)...)
		case *ledger.IPFiled:
			var owners []string
			for _, o := range p.Owners {
				owners = append(owners, o.Member+":"+o.Share.String())
			}
			add("ip", p.Asset, p.Type, p.Title, p.Number, strings.Join(owners, "; "), strings.Join(p.Inventors, "; "), p.Project, date(e.OccurredAt))
		case *ledger.FundingReceived:
			add("funding", p.Source, p.Payer, p.Member, money(p.Amount), p.Project, p.Reference, date(e.OccurredAt))
		case *ledger.CostIncurred:
			add("costs", p.Project, p.Category, money(p.Amount), p.BorneBy, p.Description, date(e.OccurredAt))
		case *ledger.EntryReversed:
			if r := bySeq[p.Entry]; r != nil {
				r.kind = "" // left out
			}
		case *ledger.EntryCorrected:
			r := bySeq[p.Entry]
			if r == nil || r.kind != "contributions" {
				return nil
			}
			if c, err := p.Corrected(ledger.TypeContributionRecorded); err == nil {
				at := r.cells[len(r.cells)-1]
				r.cells = contribution(c.(*ledger.ContributionRecorded), e.OccurredAt)
				r.cells[len(r.cells)-1] = at
			}
		}
		return nil
	})
	if err != nil && err != errStopRead {
		return nil, err
	}
	heads := map[string][]string{
		"members":       {"member", "name", "English name", "kind", "role", "credit code", "date admitted"},
		"projects":      {"project", "name", "lead", "participants", "start", "planned end"},
		"contributions": {"member", "project", "kind", "value", "quantity", "unit", "unit value", "valuation", "counterparty", "description", "date"},
		"ip":            {"asset", "type", "title", "number", "owners", "inventors", "project", "date filed"},
		"funding":       {"source", "payer", "member", "amount", "project", "reference", "date received"},
		"costs":         {"project", "category", "amount", "borne by", "description", "date"},
	}
	var tables []export.Table
	for _, kind := range []string{"members", "projects", "contributions", "ip", "funding", "costs"} {
		t := export.Table{Name: kind, Title: fmt.Sprintf("%s of alliance %s (import format)", kind, alliance), Header: heads[kind]}
		for _, r := range rows {
			if r.kind != kind {
				continue
			}
			var cells []export.Cell
			for _, c := range r.cells {
				cells = append(cells, text(c))
			}
			t.Rows = append(t.Rows, cells)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

func participants(ps []ledger.Participant, money func(ledger.Money) string) string {
	var parts []string
	for _, pt := range ps {
		parts = append(parts, pt.Member+":"+money(pt.Budget))
	}
	return strings.Join(parts, "; ")
}

// mergeParticipants adds the members of b not in a (with their budgets).
func mergeParticipants(a, b string) string {
	have := map[string]bool{}
	for _, p := range strings.Split(a, "; ") {
		id, _, _ := strings.Cut(p, ":")
		have[id] = true
	}
	out := a
	for _, p := range strings.Split(b, "; ") {
		id, _, _ := strings.Cut(p, ":")
		if id != "" && !have[id] {
			out += "; " + p
			have[id] = true
		}
	}
	return out
}
