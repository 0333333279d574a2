package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/evaluation"
	"github.com/alliance-ledger/alliance/projections/export"
	"github.com/alliance-ledger/alliance/projections/payout"
)

func (s *Server) registerReads() {
	s.handle("GET", "/v1/alliances", Read, s.listAlliances)
	s.handle("GET", alliancePath, Read, s.getAlliance)
	s.handle("GET", alliancePath+"/members", Read, s.listMembers)
	s.handle("GET", alliancePath+"/members/{member}/statement", Read, s.getStatement)
	s.handle("GET", alliancePath+"/agreement", Read, s.getAgreement)
	s.handle("GET", alliancePath+"/projects", Read, s.listProjects)
	s.handle("GET", alliancePath+"/contributions", Read, s.listContributions)
	s.handle("GET", alliancePath+"/ip", Read, s.listAssets)
	s.handle("GET", alliancePath+"/balances", Read, s.getBalances)
	s.handle("GET", alliancePath+"/risk", Read, s.getRisk)
	s.handle("GET", alliancePath+"/outputs", Read, s.getOutputs)
	s.handle("GET", alliancePath+"/pools", Read, s.listPools)
	s.handle("GET", alliancePath+"/pools/{pool}", Read, s.getPool)
	s.handle("GET", alliancePath+"/payouts/{seq}", Read, s.getPayout)
	s.handle("GET", alliancePath+"/payouts/{seq}/explanation", Read, s.explainPayout)
	s.handle("GET", alliancePath+"/disputes", Read, s.listDisputes)
	s.handle("GET", alliancePath+"/disputes/{seq}", Read, s.getDispute)
	s.handle("GET", alliancePath+"/evaluation", Read, s.getEvaluation)
	s.handle("GET", alliancePath+"/events", ReadAll, s.listEvents)
	s.handle("GET", alliancePath+"/quarantine", ReadAll, s.getQuarantine)
	s.handle("GET", alliancePath+"/audit/checkpoints", Read, s.listCheckpoints)
	s.handle("GET", alliancePath+"/audit/checkpoints/latest", Read, s.latestCheckpoint)
	s.handle("GET", alliancePath+"/audit/cosignatures", Read, s.listCosignatures)
	s.handle("GET", alliancePath+"/audit/proofs/inclusion", Read, s.proveInclusion)
	s.handle("GET", alliancePath+"/audit/proofs/consistency", Read, s.proveConsistency)
	s.handle("GET", alliancePath+"/exports/{view}", Read, s.exportView)
}

// viewParams are a view's query parameters: as of which position or
// recorded time, for which business period, after which write.
type viewParams struct {
	asOfSeq, minSeq         uint64
	asOfTime, from, to, prd string
}

func parseUint(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badRequest(name, "%q is not a non-negative integer", v)
	}
	return n, nil
}

func parseViewParams(r *http.Request) (viewParams, error) {
	var vp viewParams
	var err error
	if vp.asOfSeq, err = parseUint(r, "as_of_seq"); err != nil {
		return vp, err
	}
	if vp.minSeq, err = parseUint(r, "min_seq"); err != nil {
		return vp, err
	}
	q := r.URL.Query()
	vp.asOfTime, vp.from, vp.to, vp.prd = q.Get("as_of_time"), q.Get("from"), q.Get("to"), q.Get("period")
	if vp.asOfSeq != 0 && vp.asOfTime != "" {
		return vp, badRequest("as_of_time", "give as_of_seq or as_of_time, not both")
	}
	if vp.prd != "" && (vp.from != "" || vp.to != "") {
		return vp, badRequest("period", "give period or from/to, not both")
	}
	return vp, nil
}

// checkAsOf refuses a position beyond the log's end at once: only min_seq
// waits for positions to come.
func (s *Server) checkAsOf(c *call, asOf uint64) error {
	if asOf == 0 {
		return nil
	}
	last, err := s.cfg.Store.Last(c.r.Context(), c.alliance)
	if err != nil {
		return err
	}
	if asOf > last {
		return badRequest("as_of_seq", "position %d is beyond the log's last position %d", asOf, last)
	}
	return nil
}

// query resolves the parameters against the model (dates are in the
// alliance's time zone).
func (vp viewParams) query(m *projections.Model) (projections.Query, error) {
	q := projections.Query{Seq: vp.asOfSeq}
	if q.Seq > m.Last() {
		return q, badRequest("as_of_seq", "position %d is beyond the log's last position %d", q.Seq, m.Last())
	}
	loc := m.Location()
	if vp.asOfTime != "" {
		t, err := projections.ParseDateTime(vp.asOfTime, loc, true)
		if err != nil {
			return q, badRequest("as_of_time", "%v", err)
		}
		if q.Seq = m.SeqAtTime(t); q.Seq == 0 {
			return q, badRequest("as_of_time", "%s is before the alliance's first event", vp.asOfTime)
		}
	}
	var err error
	if vp.prd != "" {
		if q.From, q.To, err = projections.ParsePeriod(vp.prd, loc); err != nil {
			return q, badRequest("period", "%v", err)
		}
	}
	if vp.from != "" {
		if q.From, err = projections.ParseDateTime(vp.from, loc, false); err != nil {
			return q, badRequest("from", "%v", err)
		}
	}
	if vp.to != "" {
		if q.To, err = projections.ParseDateTime(vp.to, loc, true); err != nil {
			return q, badRequest("to", "%v", err)
		}
	}
	if q.Seq == 0 {
		q.Seq = m.Last()
	}
	return q, nil
}

// withView parses the view parameters and runs fn on the model with the
// resolved query.
func (s *Server) withView(c *call, fn func(m *projections.Model, q projections.Query) error) error {
	vp, err := parseViewParams(c.r)
	if err != nil {
		return err
	}
	if err := s.checkAsOf(c, vp.asOfSeq); err != nil {
		return err
	}
	return s.view(c.r.Context(), c.alliance, max(vp.minSeq, vp.asOfSeq), func(m *projections.Model) error {
		q, err := vp.query(m)
		if err != nil {
			return err
		}
		return fn(m, q)
	})
}

// Page is one page of a list. NextCursor, when set, fetches the next page
// of the same list as of the same position.
type Page[T any] struct {
	AsOfSeq    uint64 `json:"as_of_seq,omitempty"`
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pageParams reads limit and cursor; the cursor pins the position the
// first page was read as of.
func pageParams(r *http.Request) (limit, offset int, asOf uint64, err error) {
	limit = defaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, 0, badRequest("limit", "want 1 to %d, got %q", maxLimit, v)
		}
		limit = n
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		a, o, ok := strings.Cut(string(b), ":")
		asOf, err1 := strconv.ParseUint(a, 10, 64)
		off, err2 := strconv.Atoi(o)
		if err != nil || !ok || err1 != nil || err2 != nil || off < 0 {
			return 0, 0, 0, badRequest("cursor", "not a cursor this server gave")
		}
		return limit, off, asOf, nil
	}
	return limit, 0, 0, nil
}

func cursor(asOf uint64, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(asOf, 10) + ":" + strconv.Itoa(offset)))
}

// listPage serves a paginated list computed as of a position: list
// returns every item as of n.
func listPage[T any](s *Server, c *call, list func(m *projections.Model, n uint64) ([]T, error)) error {
	limit, offset, pinned, err := pageParams(c.r)
	if err != nil {
		return err
	}
	var out Page[T]
	err = s.withView(c, func(m *projections.Model, q projections.Query) error {
		n := q.Seq
		if pinned != 0 {
			if pinned > m.Last() {
				return badRequest("cursor", "not a cursor this server gave")
			}
			n = pinned
		}
		items, err := list(m, n)
		if err != nil {
			return err
		}
		out.AsOfSeq = n
		if offset > len(items) {
			offset = len(items)
		}
		end := min(offset+limit, len(items))
		out.Items = items[offset:end]
		if out.Items == nil {
			out.Items = []T{}
		}
		if end < len(items) {
			out.NextCursor = cursor(n, end)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, out)
}

// AllianceSummary is an alliance as the alliance list shows it.
type AllianceSummary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	NameEN  string `json:"name_en,omitempty"`
	Type    string `json:"type"`
	LastSeq uint64 `json:"last_seq"`
}

func (s *Server) summary(ctx context.Context, id string) (AllianceSummary, error) {
	out := AllianceSummary{ID: id}
	err := s.view(ctx, id, 0, func(m *projections.Model) error {
		f, _ := m.Founded()
		out.Name, out.NameEN, out.Type, out.LastSeq = f.Name, f.NameEN, f.Type, m.Last()
		return nil
	})
	return out, err
}

func (s *Server) listAlliances(c *call) error {
	limit, offset, _, err := pageParams(c.r)
	if err != nil {
		return err
	}
	ids, err := s.cfg.Store.Alliances(c.r.Context())
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !c.p.CanSee(id) })
	slices.Sort(ids)
	out := Page[AllianceSummary]{Items: []AllianceSummary{}}
	offset = min(offset, len(ids))
	end := min(offset+limit, len(ids))
	for _, id := range ids[offset:end] {
		sum, err := s.summary(c.r.Context(), id)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out.Items = append(out.Items, sum)
	}
	if end < len(ids) {
		out.NextCursor = cursor(0, end)
	}
	return writeJSON(c.w, http.StatusOK, out)
}

// Overview is an alliance at a glance.
type Overview struct {
	ID         string                 `json:"id"`
	AsOfSeq    uint64                 `json:"as_of_seq"`
	Founded    ledger.AllianceFounded `json:"founded"`
	Members    int                    `json:"members"`
	Active     int                    `json:"active_members"`
	Projects   int                    `json:"projects"`
	Assets     int                    `json:"ip_assets"`
	Pools      int                    `json:"pools"`
	Disputes   int                    `json:"disputes"`
	EventTypes map[string]uint64      `json:"event_types"`
	Agreement  int                    `json:"agreement_version,omitempty"`
}

func overview(m *projections.Model, n uint64) Overview {
	f, _ := m.Founded()
	o := Overview{ID: m.Alliance, AsOfSeq: n, Founded: f, Projects: len(m.Projects(n)), Assets: len(m.Assets(n)),
		Pools: len(m.PoolIDs(n)), Disputes: len(m.Disputes(n))}
	if n == m.Last() {
		o.EventTypes = m.TypeCounts()
	}
	for _, mf := range m.Members(n) {
		o.Members++
		if mf.Active {
			o.Active++
		}
	}
	if ag, _, ok := m.Agreement(n); ok {
		o.Agreement = ag.Version
	}
	return o
}

func (s *Server) getAlliance(c *call) error {
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		o := overview(m, q.Seq)
		return o, nil
	})
}

func (s *Server) listMembers(c *call) error {
	return listPage(s, c, func(m *projections.Model, n uint64) ([]projections.MemberFact, error) {
		return m.Members(n), nil
	})
}

// ownOnly refuses a member's request for another member's detail.
func ownOnly(p *Principal, member string) error {
	if p.Role == RoleMember && p.Member != member {
		return forbidden("member", "a member reads only its own statement (%q), not %q's", p.Member, member)
	}
	return nil
}

// Statement is a member's detailed statement: its balance and the
// contributions behind it.
type Statement struct {
	projections.Cut
	Balance       projections.MemberBalance      `json:"balance"`
	Contributions []projections.ContributionFact `json:"contributions"`
}

func (s *Server) getStatement(c *call) error {
	member := c.r.PathValue("member")
	if err := ownOnly(c.p, member); err != nil {
		return err
	}
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		var st Statement
		b, err := s.balances(c.alliance, m, q)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(b.Members, func(mb projections.MemberBalance) bool { return mb.Member == member })
		if i < 0 {
			return nil, notFound("member %q has no balance in alliance %s as of %d", member, c.alliance, q.Seq)
		}
		st.Cut, st.Balance = b.Cut, b.Members[i]
		st.Contributions = []projections.ContributionFact{}
		for _, cf := range m.Contributions(q.Seq, "") {
			if cf.Member == member && (q.From.IsZero() || !cf.Occurred.Before(q.From)) && (q.To.IsZero() || cf.Occurred.Before(q.To)) {
				st.Contributions = append(st.Contributions, cf)
			}
		}
		return st, nil
	})
}

// AgreementView is the agreement in force at a position.
type AgreementView struct {
	AsOfSeq   uint64           `json:"as_of_seq"`
	Since     uint64           `json:"since"`
	Agreement ledger.Agreement `json:"agreement"`
}

func (s *Server) getAgreement(c *call) error {
	var out AgreementView
	err := s.withView(c, func(m *projections.Model, q projections.Query) error {
		ag, at, ok := m.Agreement(q.Seq)
		if !ok {
			return notFound("alliance %s has no agreement as of %d", c.alliance, q.Seq)
		}
		out = AgreementView{AsOfSeq: q.Seq, Since: at, Agreement: ag}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) listProjects(c *call) error {
	return listPage(s, c, func(m *projections.Model, n uint64) ([]projections.ProjectFact, error) {
		return m.Projects(n), nil
	})
}

// listContributions lists contributions; a member sees its own only.
func (s *Server) listContributions(c *call) error {
	project := c.r.URL.Query().Get("project")
	member := c.r.URL.Query().Get("member")
	if c.p.Role == RoleMember {
		if member != "" && member != c.p.Member {
			return ownOnly(c.p, member)
		}
		member = c.p.Member
	}
	return listPage(s, c, func(m *projections.Model, n uint64) ([]projections.ContributionFact, error) {
		all := m.Contributions(n, project)
		if member == "" {
			return all, nil
		}
		return slices.DeleteFunc(all, func(cf projections.ContributionFact) bool { return cf.Member != member }), nil
	})
}

func (s *Server) listAssets(c *call) error {
	return listPage(s, c, func(m *projections.Model, n uint64) ([]projections.AssetFact, error) {
		return m.Assets(n), nil
	})
}

// restrictBalances keeps a member's own row: members read the alliance's
// totals and their own statement, not each other's.
// It returns b itself for other roles, a copy for a member.
func restrictBalances(p *Principal, b *projections.Balances) *projections.Balances {
	if p.Role != RoleMember {
		return b
	}
	return onlyMembers(b, func(m string) bool { return m == p.Member })
}

// BalancesSummary is the balances view without the per-project rows:
// each member's totals, the alliance's own, and the alliance totals. It
// is what GET /balances answers by default; detail=projects gives the
// full view, a row per member, project and currency.
type BalancesSummary struct {
	projections.Cut
	Detail  string                `json:"detail"` // "totals"
	Members []MemberTotals        `json:"members"`
	Common  CommonTotals          `json:"common"`
	Totals  []projections.Amounts `json:"totals"`
}

// CommonTotals is what is the alliance's own rather than a member's.
type CommonTotals struct {
	Totals []projections.Amounts `json:"totals"`
}

// MemberTotals is one member's balance totals, per currency.
type MemberTotals struct {
	Member string                `json:"member"`
	Name   string                `json:"name"`
	Kind   string                `json:"kind"`
	Role   string                `json:"role"`
	Active bool                  `json:"active"`
	Totals []projections.Amounts `json:"totals"`
}

func summarize(b *projections.Balances) *BalancesSummary {
	out := &BalancesSummary{Cut: b.Cut, Detail: "totals", Members: make([]MemberTotals, len(b.Members)),
		Common: CommonTotals{Totals: b.Common.Totals}, Totals: b.Totals}
	for i, mb := range b.Members {
		out.Members[i] = MemberTotals{Member: mb.Member, Name: mb.Name, Kind: mb.Kind, Role: mb.Role, Active: mb.Active, Totals: mb.Totals}
	}
	return out
}

func (s *Server) getBalances(c *call) error {
	member := c.r.URL.Query().Get("member")
	if member != "" {
		if err := ownOnly(c.p, member); err != nil {
			return err
		}
	}
	detail := c.r.URL.Query().Get("detail")
	if detail != "" && detail != "totals" && detail != "projects" {
		return badRequest("detail", "want totals (the default) or projects, got %q", detail)
	}
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		out, err := s.balances(c.alliance, m, q)
		if err != nil {
			return nil, err
		}
		if member != "" {
			out = onlyMembers(out, func(m string) bool { return m == member })
		}
		out = restrictBalances(c.p, out)
		if detail == "projects" {
			return out, nil
		}
		return summarize(out), nil
	})
}

func (s *Server) getRisk(c *call) error {
	project := c.r.URL.Query().Get("project")
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		out, err := m.Risk(q)
		if err != nil {
			return nil, err
		}
		if project != "" {
			out.Projects = slices.DeleteFunc(out.Projects, func(pr projections.ProjectRisk) bool { return pr.Project != project })
			if len(out.Projects) == 0 {
				return nil, notFound("there is no project %q", project)
			}
		}
		return out, nil
	})
}

func (s *Server) getOutputs(c *call) error {
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		return m.Outputs(q)
	})
}

func (s *Server) listPools(c *call) error {
	return listPage(s, c, func(m *projections.Model, n uint64) ([]*projections.PoolFact, error) {
		var out []*projections.PoolFact
		for _, id := range m.PoolIDs(n) {
			pf, err := m.Pool(id, n)
			if err != nil {
				return nil, err
			}
			out = append(out, pf)
		}
		return out, nil
	})
}

func (s *Server) getPool(c *call) error {
	var out *projections.PoolFact
	err := s.withView(c, func(m *projections.Model, q projections.Query) (err error) {
		out, err = m.Pool(c.r.PathValue("pool"), q.Seq)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, out)
}

func pathSeq(c *call) (uint64, error) {
	v := c.r.PathValue("seq")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, badRequest("seq", "%q is not a log position", v)
	}
	return n, nil
}

// PayoutView is a committed payout with its pool.
type PayoutView struct {
	AsOfSeq uint64                  `json:"as_of_seq"`
	Pool    *projections.PoolFact   `json:"pool"`
	Payout  *projections.PayoutFact `json:"payout"`
}

func (s *Server) getPayout(c *call) error {
	seq, err := pathSeq(c)
	if err != nil {
		return err
	}
	var out PayoutView
	err = s.withView(c, func(m *projections.Model, q projections.Query) (err error) {
		out.AsOfSeq = q.Seq
		out.Pool, out.Payout, err = m.Payout(seq, q.Seq)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, out)
}

// Explanation is a committed payout recomputed from the log, with each
// member's amount explained, and the amounts in force after adjustments.
type Explanation struct {
	AsOfSeq uint64           `json:"as_of_seq"`
	Check   *payout.Check    `json:"check"`
	InForce map[string]int64 `json:"in_force"`
}

func (s *Server) explainPayout(c *call) error {
	seq, err := pathSeq(c)
	if err != nil {
		return err
	}
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		out := Explanation{AsOfSeq: q.Seq}
		var err error
		if out.Check, err = payout.Recompute(m, seq); err != nil {
			return nil, err
		}
		out.InForce, err = payout.InForce(m, seq, q.Seq)
		return out, err
	})
}

func (s *Server) listDisputes(c *call) error {
	return listPage(s, c, func(m *projections.Model, n uint64) ([]projections.DisputeFact, error) {
		return m.Disputes(n), nil
	})
}

// DisputeView is a dispute with the ledger's examination of its claim.
type DisputeView struct {
	Dispute     *projections.DisputeFact `json:"dispute"`
	Examination *payout.Examination      `json:"examination,omitempty"`
}

func (s *Server) getDispute(c *call) error {
	seq, err := pathSeq(c)
	if err != nil {
		return err
	}
	var out DisputeView
	err = s.withView(c, func(m *projections.Model, q projections.Query) (err error) {
		if out.Dispute, err = m.Dispute(seq, q.Seq); err != nil {
			return err
		}
		out.Examination, err = payout.Examine(m, seq)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, out)
}

// getEvaluation computes the evaluation report of a period (period=2025,
// or from/to), for the alliance or, with member=, one member.
func (s *Server) getEvaluation(c *call) error {
	member := c.r.URL.Query().Get("member")
	if member != "" {
		if err := ownOnly(c.p, member); err != nil {
			return err
		}
	}
	return s.cachedView(c, func(m *projections.Model, q projections.Query) (any, error) {
		if q.From.IsZero() || q.To.IsZero() {
			return nil, badRequest("period", "name the period evaluated: period=2025 (a year, 2025-Q3, 2025-07) or from and to")
		}
		label := c.r.URL.Query().Get("period")
		if label == "" {
			label = q.From.Format("2006-01-02") + "/" + q.To.Format("2006-01-02")
		}
		return evaluation.Evaluate(m, evaluation.Options{Scheme: c.r.URL.Query().Get("scheme"), From: q.From, To: q.To,
			Label: label, AsOf: q.Seq, Member: member})
	})
}

// listEvents serves the log itself: each event's exact stored bytes, from
// position after+1, as a JSON page.
func (s *Server) listEvents(c *call) error {
	limit, _, _, err := pageParams(c.r)
	if err != nil {
		return err
	}
	after, err := parseUint(c.r, "after")
	if err != nil {
		return err
	}
	var items []rawJSON
	var next uint64
	errStop := errors.New("stop")
	err = s.cfg.Store.Read(c.r.Context(), c.alliance, after+1, func(st ledger.Stored) error {
		if len(items) == limit {
			next = st.Seq - 1
			return errStop
		}
		items = append(items, rawJSON(st.Data))
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		if errors.Is(err, ledger.ErrNotFound) {
			return notFound("there is no alliance %q", c.alliance)
		}
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(`{"items":[`)
	for i, it := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(it)
	}
	buf.WriteString("]")
	if next != 0 {
		fmt.Fprintf(&buf, `,"next_after":%d`, next)
	}
	buf.WriteString("}\n")
	c.w.Header().Set("Content-Type", "application/json")
	_, err = c.w.Write(buf.Bytes())
	return err
}

type rawJSON []byte

func (s *Server) getQuarantine(c *call) error {
	l, err := s.live(c.r.Context(), c.alliance)
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, l.runner.Quarantined())
}

// CheckpointView is a stored checkpoint without its leaf hashes.
type CheckpointView struct {
	Size     int64  `json:"size"`
	PrevSize int64  `json:"prev_size"`
	Note     string `json:"note"`
	SignedAt string `json:"signed_at"`
}

func checkpointView(r audit.CheckpointRecord) CheckpointView {
	return CheckpointView{Size: r.Size, PrevSize: r.PrevSize, Note: r.Note, SignedAt: r.SignedAt.UTC().Format("2006-01-02T15:04:05Z")}
}

func (s *Server) checkpoints(c *call) ([]CheckpointView, error) {
	if _, err := s.live(c.r.Context(), c.alliance); err != nil {
		return nil, err
	}
	recs, err := audit.ReadCheckpoints(c.r.Context(), s.cfg.Store.Audit(), c.alliance)
	if err != nil {
		return nil, err
	}
	out := make([]CheckpointView, len(recs))
	for i, r := range recs {
		out[i] = checkpointView(r)
	}
	return out, nil
}

func (s *Server) listCheckpoints(c *call) error {
	cps, err := s.checkpoints(c)
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, struct {
		VerifierKey string           `json:"verifier_key,omitempty"`
		Items       []CheckpointView `json:"items"`
	}{s.cfg.VerifierKey, cps})
}

func (s *Server) latestCheckpoint(c *call) error {
	cps, err := s.checkpoints(c)
	if err != nil {
		return err
	}
	if len(cps) == 0 {
		return notFound("alliance %s has no signed checkpoint yet", c.alliance)
	}
	return writeJSON(c.w, http.StatusOK, cps[len(cps)-1])
}

func (s *Server) listCosignatures(c *call) error {
	if _, err := s.live(c.r.Context(), c.alliance); err != nil {
		return err
	}
	recs, err := audit.ReadCosignatures(c.r.Context(), s.cfg.Store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []audit.CosignatureRecord{}
	}
	return writeJSON(c.w, http.StatusOK, struct {
		Items []audit.CosignatureRecord `json:"items"`
	}{recs})
}

// treeSize reads a tree size parameter; 0 (absent) means the latest
// checkpoint's.
func (s *Server) treeSize(c *call, name string) (int64, error) {
	n, err := parseUint(c.r, name)
	if err != nil || n != 0 {
		return int64(n), err
	}
	cps, err := s.checkpoints(c)
	if err != nil {
		return 0, err
	}
	if len(cps) == 0 {
		return 0, badRequest(name, "no checkpoint is signed yet; give the tree size")
	}
	return cps[len(cps)-1].Size, nil
}

func (s *Server) proveInclusion(c *call) error {
	seq, err := parseUint(c.r, "seq")
	if err != nil {
		return err
	}
	if seq == 0 {
		return badRequest("seq", "the position of the event is required")
	}
	size, err := s.treeSize(c, "size")
	if err != nil {
		return err
	}
	var p audit.InclusionProof
	var event []byte
	err = s.withCheckpointer(c.r.Context(), c.alliance, func(cp *audit.Checkpointer) (err error) {
		if size > cp.Tree().Size() {
			return badRequest("size", "tree size %d is beyond the log's %d events", size, cp.Tree().Size())
		}
		p, err = cp.Tree().Inclusion(seq, size)
		return badIfInvalid(err, "seq")
	})
	if err != nil {
		return err
	}
	errStop := errors.New("stop")
	_ = s.cfg.Store.Read(c.r.Context(), c.alliance, seq, func(st ledger.Stored) error {
		event = st.Data
		return errStop
	})
	return writeJSON(c.w, http.StatusOK, struct {
		audit.InclusionProof
		Event string `json:"event"`
	}{p, string(event)})
}

func badIfInvalid(err error, field string) error {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return err
	}
	return badRequest(field, "%v", err)
}

func (s *Server) proveConsistency(c *call) error {
	from, err := parseUint(c.r, "from")
	if err != nil {
		return err
	}
	if from == 0 {
		return badRequest("from", "the older tree size is required")
	}
	to, err := s.treeSize(c, "to")
	if err != nil {
		return err
	}
	var p audit.ConsistencyProof
	err = s.withCheckpointer(c.r.Context(), c.alliance, func(cp *audit.Checkpointer) (err error) {
		if to > cp.Tree().Size() {
			return badRequest("to", "tree size %d is beyond the log's %d events", to, cp.Tree().Size())
		}
		p, err = cp.Tree().Consistency(int64(from), to)
		return badIfInvalid(err, "from")
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, p)
}

// exportViews are the downloads under /exports/{view}.
var exportViews = []string{"log", "balances", "risk", "outputs", "payouts", "statement"}

// exportView serves the log as JSON lines, or a view as CSV (one table:
// the first, or table=NAME) or XLSX (every table), as of any position.
func (s *Server) exportView(c *call) error {
	view := c.r.PathValue("view")
	format := c.r.URL.Query().Get("format")
	if !slices.Contains(exportViews, view) {
		return notFound("no export %q; there are %s", view, strings.Join(exportViews, ", "))
	}
	if view == "log" {
		if c.p.Role == RoleMember {
			return forbidden("view", "the log's every event is for the secretariat, auditors and evaluators; members export their statement")
		}
		if format != "" && format != "jsonl" {
			return badRequest("format", "the log exports as jsonl")
		}
		return s.exportLog(c)
	}
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		return badRequest("format", "want csv or xlsx, got %q", format)
	}
	member := c.r.URL.Query().Get("member")
	if view == "statement" {
		if member == "" && c.p.Role == RoleMember {
			member = c.p.Member
		}
		if member == "" {
			return badRequest("member", "name the member of the statement")
		}
		if err := ownOnly(c.p, member); err != nil {
			return err
		}
	}
	var tables []export.Table
	var asOf uint64
	err := s.withView(c, func(m *projections.Model, q projections.Query) error {
		asOf = q.Seq
		switch view {
		case "balances", "statement":
			b, err := s.balances(c.alliance, m, q)
			if err != nil {
				return err
			}
			if view == "statement" {
				ts, err := export.Statement(b, member)
				if err != nil {
					return badIfInvalid(err, "member")
				}
				tables = ts
				return nil
			}
			tables = export.Balances(restrictBalances(c.p, b))
		case "risk":
			r, err := m.Risk(q)
			if err != nil {
				return err
			}
			tables = []export.Table{export.Risk(r)}
		case "outputs":
			o, err := m.Outputs(q)
			if err != nil {
				return err
			}
			tables = export.Outputs(o)
		case "payouts":
			t, err := export.Payouts(m, q.Seq)
			if err != nil {
				return err
			}
			tables = []export.Table{t}
		}
		return nil
	})
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%d", c.alliance, view, asOf)
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := export.WriteXLSX(&buf, tables); err != nil {
			return err
		}
		c.w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		_, err := c.w.Write(buf.Bytes())
		return err
	}
	t := tables[0]
	if want := c.r.URL.Query().Get("table"); want != "" {
		i := slices.IndexFunc(tables, func(t export.Table) bool { return t.Name == want })
		if i < 0 {
			names := make([]string, len(tables))
			for i, t := range tables {
				names[i] = t.Name
			}
			return badRequest("table", "no table %q in this export; there are %s", want, strings.Join(names, ", "))
		}
		t = tables[i]
	}
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, t); err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+name+"-"+t.Name+`.csv"`)
	_, err = c.w.Write(buf.Bytes())
	return err
}

func (s *Server) exportLog(c *call) error {
	upTo, err := parseUint(c.r, "as_of_seq")
	if err != nil {
		return err
	}
	if _, err := s.live(c.r.Context(), c.alliance); err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/x-ndjson")
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+c.alliance+`-log.jsonl"`)
	bw := bufio.NewWriterSize(c.w, 256<<10)
	errStop := errors.New("stop")
	err = s.cfg.Store.Read(c.r.Context(), c.alliance, 1, func(st ledger.Stored) error {
		if upTo != 0 && st.Seq > upTo {
			return errStop
		}
		bw.Write(st.Data)
		return bw.WriteByte('\n')
	})
	if err != nil && !errors.Is(err, errStop) {
		// Headers are out: the truncated body is the only signal left.
		s.log.Error("log export interrupted", "alliance", c.alliance, "err", err)
		return nil
	}
	return bw.Flush()
}
