package evaluation_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/evaluation"
)

const alliance = "eval"

var cst = time.FixedZone("CST", 8*3600)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, cst)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

func yuan(x int64) ledger.Money { return ledger.Money{Amount: x * 100, Currency: "CNY"} }
func r(s string) ledger.Ratio   { return ledger.MustRatio(s) }
func rp(s string) *ledger.Ratio { x := r(s); return &x }

// world is a small alliance on an embedded JetStream with a year of
// activity (2025), its evaluation scheme and expert ratings.
type world struct {
	t     *testing.T
	store *natsstore.Store
	w     *ledger.Writer
	n     int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e, err := natsstore.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	s, err := natsstore.New(nc, natsstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := ledger.NewWriter(s, ledger.WriterOptions{})
	t.Cleanup(w.Close)
	return &world{t: t, store: s, w: w}
}

func (w *world) add(at string, ps ...ledger.Payload) uint64 {
	w.t.Helper()
	w.n++
	req := ledger.Request{Alliance: alliance, Actor: "secretariat", IdempotencyKey: "k" + string(rune('A'+w.n%26)) + time.Duration(w.n).String()}
	for _, p := range ps {
		req.Commands = append(req.Commands, ledger.NewCommand(day(at), p))
	}
	rc, err := w.w.Append(context.Background(), req)
	if err != nil {
		w.t.Fatalf("%s %T: %v", at, ps[0], err)
	}
	return rc.First
}

func (w *world) contribute(at string, c *ledger.ContributionRecorded, confirm bool) uint64 {
	seq := w.add(at, c)
	if confirm {
		w.add(at, &ledger.ContributionConfirmed{Contribution: seq, By: "M01"})
	}
	return seq
}

func (w *world) model() *projections.Model {
	w.t.Helper()
	m := projections.NewModel(alliance)
	err := w.store.Read(context.Background(), alliance, 1, func(st ledger.Stored) error {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			return err
		}
		return m.Apply(e)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func target(x string) *ledger.Normalisation {
	return &ledger.Normalisation{Kind: "target", Target: rp(x)}
}
func lower(x string) *ledger.Normalisation {
	return &ledger.Normalisation{Kind: "target", Target: rp(x), Lower: true}
}

func direct(xs ...string) ledger.Weighting {
	w := ledger.Weighting{Method: "direct"}
	for _, x := range xs {
		w.Weights = append(w.Weights, r(x))
	}
	return w
}

// build records the alliance: founded in December 2024, one contribution
// before 2025; in 2025 a member joins and another leaves, two projects,
// four contributions (one never confirmed), a grant and dues, a patent
// (granted, licensed, earning revenue) and a paper, a dispute resolved in
// ten days, ratings.
func build(t *testing.T) *world {
	w := newWorld(t)
	w.add("2024-12-01", &ledger.AllianceFounded{Name: "评价联盟", Type: "rd-cooperation", LegalForm: "non-legal-person", BaseCurrency: "CNY", Custodian: "M01"},
		&ledger.MemberAdmitted{Member: "M01", Name: "某大学", Kind: "university", Role: "chair"},
		&ledger.MemberAdmitted{Member: "M02", Name: "某公司", Kind: "enterprise", Role: "ordinary"},
		&ledger.MemberAdmitted{Member: "M03", Name: "某研究院", Kind: "research-institute", Role: "ordinary"})
	w.add("2024-12-01", &ledger.AgreementSigned{Agreement: ledger.Agreement{Title: "协议", EffectiveDate: "2024-12-01",
		Distribution: ledger.Distribution{Method: "proportional"}, Risk: ledger.RiskRule{Rule: "contribution"},
		IPOwnership: "by-contribution", Signatories: []string{"M01", "M02", "M03"}}})
	w.contribute("2024-12-15", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: yuan(777)}, true) // before the period
	w.add("2025-01-02", &ledger.EvaluationSchemeAdopted{Scheme: "annual", Title: "年度评价", DuesPerMember: ptr(yuan(50_000)),
		Dimensions: []ledger.SchemeDimension{
			{Dimension: "organisation", Indicators: []ledger.SchemeIndicator{
				{Indicator: "members", Norm: target("4")}, {Indicator: "member_growth", Norm: target("2")},
				{Indicator: "member_churn", Norm: lower("1")}, {Indicator: "dues_rate", Norm: target("100")},
				{Indicator: "disputes_raised", Norm: lower("1")}, {Indicator: "dispute_days", Norm: lower("30")},
				{Indicator: "operating_mechanism"}},
				Weights: direct("0.2", "0.1", "0.1", "0.2", "0.1", "0.1", "0.2")},
			{Dimension: "collaboration", Indicators: []ledger.SchemeIndicator{
				{Indicator: "rd_input", Norm: target("2000000")}, {Indicator: "person_months", Norm: target("20")},
				{Indicator: "facility_sharing", Norm: target("100000")}, {Indicator: "joint_projects", Norm: target("2")},
				{Indicator: "members_per_project", Norm: target("2")}, {Indicator: "cross_member_ip", Norm: target("50")},
				{Indicator: "government_funding", Norm: target("1000000")}, {Indicator: "enterprise_input_share", Norm: target("80")}},
				Weights: direct("0.2", "0.1", "0.1", "0.1", "0.1", "0.1", "0.2", "0.1")},
			{Dimension: "industry", Indicators: []ledger.SchemeIndicator{
				{Indicator: "patent_applications", Norm: target("2")}, {Indicator: "patent_grants", Norm: target("1")},
				{Indicator: "papers", Norm: target("2")}, {Indicator: "licences", Norm: target("1")},
				{Indicator: "licence_revenue", Norm: target("200000")}, {Indicator: "social_reputation"}},
				Weights: direct("0.2", "0.2", "0.1", "0.1", "0.2", "0.2")},
		},
		DimensionWeights: ledger.Weighting{Method: "ahp", Matrix: [][]string{{"1", "1/2", "1/2"}, {"2", "1", "1"}, {"2", "1", "1"}}},
	})
	w.add("2025-01-15", &ledger.FundingReceived{Source: "member-dues", Member: "M02", Amount: yuan(50_000)})
	w.add("2025-01-15", &ledger.FundingReceived{Source: "member-dues", Member: "M03", Amount: yuan(50_000)})
	w.add("2025-02-01", &ledger.MemberAdmitted{Member: "M04", Name: "新成员公司", Kind: "enterprise", Role: "ordinary"})
	w.add("2025-03-01", &ledger.ProjectOpened{Project: "P1", Name: "联合攻关", Lead: "M02", Start: "2025-03-01",
		Participants: []ledger.Participant{{Member: "M02", Budget: yuan(1)}, {Member: "M03", Budget: yuan(1)}}})
	w.add("2025-03-01", &ledger.ProjectOpened{Project: "P2", Name: "自主项目", Lead: "M01", Start: "2025-03-01",
		Participants: []ledger.Participant{{Member: "M01", Budget: yuan(1)}}})
	c1 := w.contribute("2025-03-10", &ledger.ContributionRecorded{Member: "M02", Project: "P1", Kind: "cash", Value: yuan(1_000_000)}, true)
	w.contribute("2025-04-01", &ledger.ContributionRecorded{Member: "M03", Project: "P1", Kind: "personnel", Quantity: rp("10"), Unit: "person-month", UnitValue: ptr(yuan(20_000))}, true)
	w.contribute("2025-04-15", &ledger.ContributionRecorded{Member: "M02", Kind: "facility", Value: yuan(50_000)}, true)
	w.contribute("2025-05-01", &ledger.ContributionRecorded{Member: "M03", Project: "P1", Kind: "cash", Value: yuan(300_000)}, false)
	w.add("2025-06-01", &ledger.FundingReceived{Source: "government-grant", Payer: "省科技厅", Amount: yuan(2_000_000)})
	w.add("2025-07-01", &ledger.IPFiled{Asset: "A1", Type: "patent-invention", Title: "专利", Project: "P1",
		Owners: []ledger.Share{{Member: "M02", Share: r("0.6")}, {Member: "M03", Share: r("0.4")}}})
	w.add("2025-08-01", &ledger.IPFiled{Asset: "A2", Type: "paper", Title: "论文", Owners: []ledger.Share{{Member: "M03", Share: r("1")}}})
	d := w.add("2025-09-01", &ledger.DisputeRaised{Subject: c1, By: "M03", Claim: "金额有误"})
	w.add("2025-09-11", &ledger.DisputeResolved{Dispute: d, Outcome: "rejected", Resolution: "核对无误"})
	w.add("2025-10-01", &ledger.IPStatusChanged{Asset: "A1", Status: "granted"})
	w.add("2025-11-01", &ledger.IPStatusChanged{Asset: "A1", Status: "licensed", Counterparty: "某车企"})
	w.add("2025-11-15", &ledger.IPLicenceRevenue{Asset: "A1", Licensee: "某车企", Amount: yuan(100_000)})
	w.add("2025-12-01", &ledger.MemberDeparted{Member: "M04", How: "withdrew"})
	w.add("2025-12-20", &ledger.EvaluationRated{Indicator: "operating_mechanism", Rater: "专家组", From: "2025-01-01", To: "2025-12-31",
		Memberships: []ledger.Ratio{r("0.2"), r("0.5"), r("0.3"), r("0"), r("0")}})
	w.add("2025-12-20", &ledger.EvaluationRated{Indicator: "social_reputation", Rater: "专家组", From: "2025-01-01", To: "2025-12-31", Score: rp("90")})
	return w
}

func ptr[T any](v T) *T { return &v }

var year2025 = evaluation.Options{From: time.Date(2025, 1, 1, 0, 0, 0, 0, cst), To: time.Date(2026, 1, 1, 0, 0, 0, 0, cst), Label: "2025"}

// TestIndicatorsByHand checks every indicator's value against figures
// worked out by hand from the events above.
func TestIndicatorsByHand(t *testing.T) {
	w := build(t)
	rep, err := evaluation.Evaluate(w.model(), year2025)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"members":                "3",       // M01, M02, M03; M04 left on 12-01
		"member_growth":          "1",       // M04; the founders joined in 2024
		"member_churn":           "1",       // M04
		"dues_rate":              "200/3",   // 100,000 of 50,000 × 3 members × 1 year
		"disputes_raised":        "1",       //
		"dispute_days":           "10",      // 09-01 to 09-11
		"rd_input":               "1250000", // 1,000,000 + 200,000 + 50,000; 300,000 unconfirmed, 777 in 2024
		"person_months":          "10",
		"facility_sharing":       "50000",
		"joint_projects":         "1",   // P1; P2 has one participant
		"members_per_project":    "1.5", // (2 + 1) / 2
		"cross_member_ip":        "50",  // A1 of A1, A2
		"government_funding":     "2000000",
		"enterprise_input_share": "84", // M02's 1,050,000 of 1,250,000
		"patent_applications":    "1",
		"patent_grants":          "1",
		"papers":                 "1",
		"licences":               "1",
		"licence_revenue":        "100000",
	}
	got := map[string]string{}
	scores := map[string]string{}
	for _, d := range rep.Dimensions {
		for _, ind := range d.Indicators {
			if ind.Missing {
				t.Errorf("%s is missing: %s", ind.ID, ind.Note)
				continue
			}
			if ind.Value != nil {
				got[ind.ID] = ind.Value.String()
			}
			scores[ind.ID] = ind.Score.String()
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indicator values (-hand +computed):\n%s", diff)
	}
	// Rated: 0.2·95 + 0.5·85 + 0.3·75 = 84; a score of 90 is itself.
	// Normalised: members 3 of target 4 → 75; dues 200/3 % of 100 → 200/3;
	// dispute days 10 against at most 30 (smaller is better) → 100.
	for id, s := range map[string]string{"operating_mechanism": "84", "social_reputation": "90", "members": "75", "dues_rate": "200/3", "dispute_days": "100", "member_churn": "100"} {
		if scores[id] != s {
			t.Errorf("%s scores %s, want %s", id, scores[id], s)
		}
	}
	// The dimension weights come from the AHP judgements 1:2:2.
	if w := []string{rep.Dimensions[0].Weight.String(), rep.Dimensions[1].Weight.String(), rep.Dimensions[2].Weight.String()}; !cmp.Equal(w, []string{"0.2", "0.4", "0.4"}) {
		t.Errorf("dimension weights %v", w)
	}
	// The total is B·V of the dimensions' composition: check it against
	// the dimension scores (B·V is linear in B).
	total := new(big.Rat)
	for _, d := range rep.Dimensions {
		total.Add(total, new(big.Rat).Mul(d.Weight.Rat(), d.Score.Rat()))
	}
	if total.Cmp(rep.Score.Rat()) != 0 {
		t.Errorf("total %s, the weighted dimension scores give %s", rep.Score, ledger.RatioOf(total))
	}
	if rep.Band.ID == "" {
		t.Error("no band")
	}

	// For a member: M02's R&D input and its share of the patent.
	opts := year2025
	opts.Member = "M02"
	mrep, err := evaluation.Evaluate(w.model(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range mrep.Dimensions {
		for _, ind := range d.Indicators {
			switch ind.ID {
			case "rd_input":
				if ind.Value.String() != "1050000" {
					t.Errorf("M02 R&D input %s", ind.Value)
				}
			case "patent_applications":
				if ind.Value.String() != "0.6" {
					t.Errorf("M02 patent applications %s", ind.Value)
				}
			case "members":
				if !ind.Missing {
					t.Error("an alliance-level indicator was computed for a member")
				}
			}
		}
	}
}

// TestReproducible: the same period evaluated as of two positions, the
// later having added only events outside the period, gives the same report.
func TestReproducible(t *testing.T) {
	w := build(t)
	m1 := w.model()
	a, err := evaluation.Evaluate(m1, year2025)
	if err != nil {
		t.Fatal(err)
	}
	w.contribute("2026-02-01", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: yuan(5_000_000)}, true)
	w.add("2026-02-02", &ledger.IPFiled{Asset: "A9", Type: "patent-invention", Title: "x", Owners: []ledger.Share{{Member: "M02", Share: r("1")}}})
	m2 := w.model()
	if m2.Last() == m1.Last() {
		t.Fatal("nothing appended")
	}
	b, err := evaluation.Evaluate(m2, year2025)
	if err != nil {
		t.Fatal(err)
	}
	if a.AsOf == b.AsOf {
		t.Fatal("both reports as of the same position")
	}
	a.AsOf, b.AsOf = 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("reports differ:\n%s\n%s", ja, jb)
	}
	// An event inside the period does change it.
	w.contribute("2025-12-30", &ledger.ContributionRecorded{Member: "M03", Kind: "cash", Value: yuan(1)}, true)
	c, err := evaluation.Evaluate(w.model(), year2025)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dimensions[1].Indicators[0].Value.String() == "1250000" {
		t.Error("a contribution in the period did not change R&D input")
	}
}

func TestEvaluateErrors(t *testing.T) {
	w := build(t)
	m := w.model()
	for name, opts := range map[string]evaluation.Options{
		"unknown scheme": {Scheme: "nope", From: year2025.From, To: year2025.To},
		"empty period":   {From: year2025.To, To: year2025.From},
		"unknown member": {From: year2025.From, To: year2025.To, Member: "M99"},
	} {
		if _, err := evaluation.Evaluate(m, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCatalogue: every indicator has its names, unit, dimension and level,
// and a way to be computed; ids are unique.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, ind := range evaluation.Catalogue {
		if seen[ind.ID] {
			t.Errorf("%s listed twice", ind.ID)
		}
		seen[ind.ID] = true
		if ind.ZH == "" || ind.EN == "" || ind.Unit == "" || ind.About == "" {
			t.Errorf("%s lacks a name, unit or description", ind.ID)
		}
		if _, ok := evaluation.DimensionNames[ind.Dimension]; !ok {
			t.Errorf("%s: dimension %q", ind.ID, ind.Dimension)
		}
		if ind.Level != "input" && ind.Level != "process" && ind.Level != "output" {
			t.Errorf("%s: level %q", ind.ID, ind.Level)
		}
	}
	if len(evaluation.Catalogue) < 35 {
		t.Errorf("%d indicators", len(evaluation.Catalogue))
	}
}
