package sample

import (
	"fmt"

	"github.com/alliance-ledger/alliance/ledger"
)

// The alliance adopts its annual evaluation scheme after its first year,
// and the expert committee rates the indicators no event records at the
// end of each year.
const (
	dayScheme = 372
)

func target(x string) *ledger.Normalisation {
	r := ledger.MustRatio(x)
	return &ledger.Normalisation{Kind: "target", Target: &r}
}

func lowerTarget(x string) *ledger.Normalisation {
	n := target(x)
	n.Lower = true
	return n
}

func weights(xs ...string) ledger.Weighting {
	w := ledger.Weighting{Method: "direct"}
	for _, x := range xs {
		w.Weights = append(w.Weights, ledger.MustRatio(x))
	}
	return w
}

func (p *planner) evaluation() {
	dues := wan(5)
	p.add1(dayScheme, secretariat, &ledger.EvaluationSchemeAdopted{Scheme: "annual", Title: "联盟年度绩效评价方案（参照国家产业技术创新战略联盟活跃度评价）",
		DuesPerMember: &dues,
		Dimensions: []ledger.SchemeDimension{
			{Dimension: "organisation", Indicators: []ledger.SchemeIndicator{
				{Indicator: "members", Norm: target("12")}, {Indicator: "member_growth", Norm: target("2")},
				{Indicator: "dues_rate", Norm: target("100")}, {Indicator: "disputes_raised", Norm: lowerTarget("1")},
				{Indicator: "dispute_days", Norm: lowerTarget("30")},
				{Indicator: "operating_mechanism"}, {Indicator: "communication_trust"}},
				Weights: weights("0.15", "0.1", "0.15", "0.1", "0.1", "0.2", "0.2")},
			{Dimension: "collaboration", Indicators: []ledger.SchemeIndicator{
				{Indicator: "rd_input", Norm: target("20000000")}, {Indicator: "government_funding", Norm: target("5000000")},
				{Indicator: "person_months", Norm: target("300")}, {Indicator: "facility_sharing", Norm: target("1000000")},
				{Indicator: "joint_projects", Norm: target("5")}, {Indicator: "members_per_project", Norm: target("5")},
				{Indicator: "cross_member_ip", Norm: target("50")}},
				Weights: ledger.Weighting{Method: "entropy"}},
			{Dimension: "industry", Indicators: []ledger.SchemeIndicator{
				{Indicator: "patent_applications", Norm: target("10")}, {Indicator: "patent_grants", Norm: target("5")},
				{Indicator: "standards", Norm: target("2")}, {Indicator: "software_copyrights", Norm: target("3")},
				{Indicator: "papers", Norm: target("10")}, {Indicator: "new_products", Norm: target("2")},
				{Indicator: "licences", Norm: target("2")}, {Indicator: "licence_revenue", Norm: target("1000000")},
				{Indicator: "social_reputation"}},
				Weights: weights("0.15", "0.15", "0.1", "0.05", "0.1", "0.1", "0.1", "0.1", "0.15")},
		},
		DimensionWeights: ledger.Weighting{Method: "ahp", Matrix: [][]string{{"1", "1/2", "1/2"}, {"2", "1", "1"}, {"2", "1", "1"}}},
	})
	// Ratings by the expert committee: the shares of its experts who chose
	// each grade (excellent, good, medium, qualified, unqualified).
	degrees := [][3][5]string{
		{{"0.2", "0.5", "0.3", "0", "0"}, {"0.1", "0.5", "0.3", "0.1", "0"}, {"0.1", "0.4", "0.4", "0.1", "0"}},
		{{"0.3", "0.5", "0.2", "0", "0"}, {"0.3", "0.4", "0.3", "0", "0"}, {"0.2", "0.5", "0.3", "0", "0"}},
		{{"0.4", "0.4", "0.2", "0", "0"}, {"0.3", "0.5", "0.2", "0", "0"}, {"0.3", "0.5", "0.2", "0", "0"}},
	}
	for y := range 3 {
		day := 365*(y+1) + 10
		if day > lastDay {
			day = lastDay
		}
		from := p.date(365 * y)
		to := p.date(365*(y+1) - 1)
		for i, ind := range []string{"operating_mechanism", "communication_trust", "social_reputation"} {
			r := &ledger.EvaluationRated{Indicator: ind, Rater: "联盟专家委员会", From: from, To: to,
				Comment: fmt.Sprintf("第%d年度专家评议", y+1)}
			for _, d := range degrees[y][i] {
				r.Memberships = append(r.Memberships, ledger.MustRatio(d))
			}
			p.add1(day, secretariat, r)
		}
	}
}
