// Package evaluation computes an alliance's performance evaluation from
// what its log recorded: an indicator catalogue in an input / process /
// output tree over the three dimensions of the national activity rating,
// weights (AHP, entropy or given), fuzzy comprehensive evaluation and the
// rating bands. Every number cites the events or ratings behind it.
package evaluation

import (
	"math/big"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// Indicator is one entry of the catalogue.
type Indicator struct {
	ID        string `json:"id"`
	ZH        string `json:"zh"`
	EN        string `json:"en"`
	Unit      string `json:"unit"`
	Dimension string `json:"dimension"` // organisation, collaboration, industry
	Level     string `json:"level"`     // input, process, output
	// Rated indicators come from expert ratings (evaluation.rated);
	// the others are computed from events.
	Rated bool `json:"rated"`
	// Lower is true when smaller is better (time to resolve disputes).
	Lower bool   `json:"lower,omitempty"`
	About string `json:"about"` // how it is computed
	// PerMember is false for indicators that only make sense for the
	// alliance (member growth).
	PerMember bool `json:"per_member"`

	compute func(c *calc, member string) value
}

// value is a computed indicator value with the entries behind it; a nil
// x means there is nothing to compute it from in the period (no dispute
// resolved, no project active): the indicator is left out.
type value struct {
	x      *big.Rat
	events []uint64
	note   string
}

// DimensionNames are the dimensions in Chinese and English.
var DimensionNames = map[string][2]string{
	"organisation":  {"组织机构建设与运行", "organisation and operation"},
	"collaboration": {"协同创新活动", "collaborative innovation"},
	"industry":      {"带动产业发展成效", "impact on the industry"},
}

// Catalogue lists every indicator, by dimension.
var Catalogue = []Indicator{
	// 组织机构建设与运行
	{ID: "members", ZH: "成员单位数", EN: "member units", Unit: "units", Dimension: "organisation", Level: "input",
		About: "members active at the end of the period", compute: members},
	{ID: "member_growth", ZH: "新增成员单位数", EN: "members admitted", Unit: "units", Dimension: "organisation", Level: "process",
		About: "admissions that occurred in the period", compute: memberChanges(true)},
	{ID: "member_churn", ZH: "退出成员单位数", EN: "members departed", Unit: "units", Dimension: "organisation", Level: "process", Lower: true,
		About: "withdrawals and expulsions that occurred in the period", compute: memberChanges(false)},
	{ID: "dues_collected", ZH: "会费收缴额", EN: "dues collected", Unit: "yuan", Dimension: "organisation", Level: "input", PerMember: true,
		About: "member dues received in the period", compute: funding("member-dues")},
	{ID: "dues_rate", ZH: "会费收缴率", EN: "dues collection rate", Unit: "%", Dimension: "organisation", Level: "process", PerMember: true,
		About: "dues received in the period over dues owed (the scheme's dues per member × active members × years of the period)", compute: duesRate},
	{ID: "disputes_raised", ZH: "争议数", EN: "disputes raised", Unit: "disputes", Dimension: "organisation", Level: "process", Lower: true, PerMember: true,
		About: "disputes raised in the period (by the member, for a member)", compute: disputesRaised},
	{ID: "dispute_days", ZH: "争议平均解决天数", EN: "days to resolve a dispute", Unit: "days", Dimension: "organisation", Level: "process", Lower: true,
		About: "mean days from raising to resolution of the disputes resolved in the period", compute: disputeDays},
	{ID: "operating_mechanism", ZH: "运行机制", EN: "operating mechanism", Unit: "rating", Dimension: "organisation", Level: "process", Rated: true, PerMember: true,
		About: "expert ratings"},
	{ID: "communication_trust", ZH: "沟通与信任", EN: "communication and trust", Unit: "rating", Dimension: "organisation", Level: "process", Rated: true, PerMember: true,
		About: "expert ratings"},

	// 协同创新活动
	{ID: "rd_input", ZH: "研发投入", EN: "R&D input", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed contributions of every kind that occurred in the period", compute: contributed("")},
	{ID: "cash_input", ZH: "现金投入", EN: "cash input", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed cash contributions in the period", compute: contributed("cash")},
	{ID: "equipment_input", ZH: "设备投入", EN: "equipment input", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed equipment contributions in the period", compute: contributed("equipment")},
	{ID: "personnel_input", ZH: "人员投入", EN: "personnel input", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed personnel contributions in the period, valued", compute: contributed("personnel")},
	{ID: "technology_input", ZH: "技术与知识产权投入", EN: "technology and IP input", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed technology or IP licence contributions in the period", compute: contributed("technology")},
	{ID: "data_input", ZH: "数据投入", EN: "data input", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed data contributions in the period", compute: contributed("data")},
	{ID: "enterprise_input", ZH: "企业成员投入", EN: "input of enterprise members", Unit: "yuan", Dimension: "collaboration", Level: "input",
		About: "confirmed contributions of enterprise members in the period", compute: contributedByMemberKind("enterprise")},
	{ID: "university_input", ZH: "高校成员投入", EN: "input of university members", Unit: "yuan", Dimension: "collaboration", Level: "input",
		About: "confirmed contributions of university members in the period", compute: contributedByMemberKind("university")},
	{ID: "institute_input", ZH: "科研院所成员投入", EN: "input of research institute members", Unit: "yuan", Dimension: "collaboration", Level: "input",
		About: "confirmed contributions of research institute members in the period", compute: contributedByMemberKind("research-institute")},
	{ID: "enterprise_input_share", ZH: "企业投入占比", EN: "share of R&D input from enterprises", Unit: "%", Dimension: "collaboration", Level: "input",
		About: "confirmed contributions of enterprise members over all, in the period", compute: enterpriseShare},
	{ID: "government_funding", ZH: "政府资金", EN: "government funding", Unit: "yuan", Dimension: "collaboration", Level: "input",
		About: "government grants received in the period", compute: funding("government-grant")},
	{ID: "member_funding", ZH: "成员配套资金", EN: "member funding", Unit: "yuan", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "matching funds and dues paid by members in the period", compute: funding("matching-funds", "member-dues")},
	{ID: "person_months", ZH: "投入人月", EN: "person-months", Unit: "person-months", Dimension: "collaboration", Level: "input", PerMember: true,
		About: "confirmed personnel contributions recorded in person-months, in the period", compute: personMonths},
	{ID: "facility_sharing", ZH: "共享设施使用", EN: "shared facility use", Unit: "yuan", Dimension: "collaboration", Level: "process", PerMember: true,
		About: "confirmed facility-use contributions in the period", compute: contributed("facility")},
	{ID: "joint_projects", ZH: "联合攻关项目数", EN: "joint projects", Unit: "projects", Dimension: "collaboration", Level: "process", PerMember: true,
		About: "projects with two or more participants active in the period (the member's, for a member)", compute: jointProjects},
	{ID: "members_per_project", ZH: "项目平均参与成员数", EN: "members per project", Unit: "units", Dimension: "collaboration", Level: "process",
		About: "mean participants of the projects active in the period", compute: membersPerProject},
	{ID: "cross_member_ip", ZH: "多成员共有知识产权占比", EN: "share of IP owned by several members", Unit: "%", Dimension: "collaboration", Level: "output",
		About: "IP filed in the period with more than one owner, over all IP filed in the period", compute: crossMemberIP},

	// 带动产业发展成效
	{ID: "patent_applications", ZH: "专利申请数", EN: "patent applications", Unit: "filings", Dimension: "industry", Level: "output", PerMember: true,
		About: "patents (invention, utility model, design) filed in the period, weighted by ownership for a member", compute: filed("patent-invention", "patent-utility-model", "patent-design")},
	{ID: "patent_grants", ZH: "专利授权数", EN: "patents granted", Unit: "patents", Dimension: "industry", Level: "output", PerMember: true,
		About: "patents granted in the period", compute: statusIn("granted", "patent-invention", "patent-utility-model", "patent-design")},
	{ID: "standards", ZH: "标准数", EN: "standards", Unit: "standards", Dimension: "industry", Level: "output", PerMember: true,
		About: "national, industry and group standards filed in the period", compute: filed("standard-national", "standard-industry", "standard-group")},
	{ID: "standards_national", ZH: "国家标准数", EN: "national standards", Unit: "standards", Dimension: "industry", Level: "output", PerMember: true,
		About: "national standards filed in the period", compute: filed("standard-national")},
	{ID: "standards_industry", ZH: "行业标准数", EN: "industry standards", Unit: "standards", Dimension: "industry", Level: "output", PerMember: true,
		About: "industry standards filed in the period", compute: filed("standard-industry")},
	{ID: "standards_group", ZH: "团体标准数", EN: "group standards", Unit: "standards", Dimension: "industry", Level: "output", PerMember: true,
		About: "group standards filed in the period", compute: filed("standard-group")},
	{ID: "software_copyrights", ZH: "软件著作权数", EN: "software copyrights", Unit: "registrations", Dimension: "industry", Level: "output", PerMember: true,
		About: "software copyrights filed in the period", compute: filed("software-copyright")},
	{ID: "papers", ZH: "论文数", EN: "papers", Unit: "papers", Dimension: "industry", Level: "output", PerMember: true,
		About: "papers filed in the period", compute: filed("paper")},
	{ID: "new_products", ZH: "新产品新工艺数", EN: "new products and processes", Unit: "items", Dimension: "industry", Level: "output", PerMember: true,
		About: "new products and processes filed in the period", compute: filed("new-product", "new-process")},
	{ID: "licences", ZH: "许可与转让数", EN: "licences and transfers", Unit: "assets", Dimension: "industry", Level: "output", PerMember: true,
		About: "assets licensed or transferred in the period", compute: statusIn("licensed|transferred")},
	{ID: "technology_transfers", ZH: "技术转让数", EN: "technology transfers", Unit: "assets", Dimension: "industry", Level: "output", PerMember: true,
		About: "assets transferred in the period", compute: statusIn("transferred")},
	{ID: "licence_revenue", ZH: "许可收入", EN: "licence revenue", Unit: "yuan", Dimension: "industry", Level: "output", PerMember: true,
		About: "licence revenue of the alliance's IP received in the period (by ownership share for a member)", compute: licenceRevenue},
	{ID: "social_reputation", ZH: "社会声誉", EN: "social reputation", Unit: "rating", Dimension: "industry", Level: "output", Rated: true,
		About: "expert ratings"},
}

// Lookup finds an indicator of the catalogue.
func Lookup(id string) (Indicator, bool) {
	for _, ind := range Catalogue {
		if ind.ID == id {
			return ind, true
		}
	}
	return Indicator{}, false
}

// calc is one period's facts, as of a position.
type calc struct {
	m        *projections.Model
	n        uint64
	from, to time.Time
	scheme   ledger.EvaluationSchemeAdopted

	contribs  []projections.ContributionFact // confirmed, in the base currency, in the period
	money     []projections.MoneyFact        // in the period
	members   []projections.MembershipFact
	kinds     map[string]string // member kind
	projects  []projections.ProjectFact
	assets    []projections.AssetHistory
	assetByID map[string]int // index in assets
	currency  string
	// members' own facts, for per-member indicators (built once)
	own map[string]*calc
}

// sub returns the calc whose contributions and money are the member's
// only, so that a per-member indicator scans the member's facts, not all.
func (c *calc) sub(member string) *calc {
	if member == "" {
		return c
	}
	if c.own == nil {
		c.own = map[string]*calc{}
		for _, f := range c.contribs {
			s := c.own[f.Member]
			if s == nil {
				s = c.shallow()
				c.own[f.Member] = s
			}
			s.contribs = append(s.contribs, f)
		}
		for _, f := range c.money {
			if f.Member == "" {
				continue
			}
			s := c.own[f.Member]
			if s == nil {
				s = c.shallow()
				c.own[f.Member] = s
			}
			s.money = append(s.money, f)
		}
		for _, a := range c.assets {
			for _, o := range a.Owners {
				s := c.own[o.Member]
				if s == nil {
					s = c.shallow()
					c.own[o.Member] = s
				}
				s.assetByID[a.ID] = len(s.assets)
				s.assets = append(s.assets, a)
			}
		}
	}
	if s := c.own[member]; s != nil {
		return s
	}
	return c.shallow()
}

// shallow is a copy of c without contributions, member money and assets;
// licence revenue (which no member pays) stays, for shares of it.
func (c *calc) shallow() *calc {
	s := *c
	s.contribs, s.money, s.own, s.assets, s.assetByID = nil, nil, nil, nil, map[string]int{}
	for _, f := range c.money {
		if f.Kind == "licence" {
			s.money = append(s.money, f)
		}
	}
	return &s
}

func (c *calc) in(t time.Time) bool { return !t.Before(c.from) && t.Before(c.to) }
