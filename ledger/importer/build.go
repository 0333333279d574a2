package importer

import (
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// The builders turn a row into a payload, one per kind. Each reads every
// column so that a row reports all its problems at once; the payload's own
// Validate then checks the rules that tie fields together.

func buildMember(c *rowCtx, _ time.Time) ledger.Payload {
	return &ledger.MemberAdmitted{
		Member:     c.id("member"),
		Name:       c.text("name"),
		NameEN:     c.text("name_en"),
		Kind:       c.enum("kind"),
		Role:       c.enum("role"),
		CreditCode: strings.ToUpper(asciiFold(c.text("credit_code"))),
	}
}

func dateOf(at time.Time) ledger.Date {
	if at.IsZero() {
		return ""
	}
	return ledger.Date(at.Format(time.DateOnly))
}

func buildAgreement(c *rowCtx, at time.Time) ledger.Payload {
	a := ledger.Agreement{
		Title:         c.text("title"),
		EffectiveDate: dateOf(at),
		Distribution: ledger.Distribution{
			Method:        c.enum("distribution_method"),
			Allowed:       c.enumList("allowed_methods"),
			KindWeights:   c.weights("kind_weights"),
			FactorWeights: c.weights("factor_weights"),
		},
		Risk:        ledger.RiskRule{Rule: c.enum("risk_rule"), Coefficients: c.weights("risk_coefficients")},
		IPOwnership: c.enum("ip_ownership"),
		Signatories: c.idList("signatories"),
		Document:    c.evidence("document_sha256", "document_uri"),
	}
	rates := c.rates("person_month_rates")
	for _, k := range ledger.MemberKinds {
		m, ok := c.money(personMonthRateKey(k))
		if !ok {
			continue
		}
		if _, dup := rates[k]; dup {
			_, i := c.cell(personMonthRateKey(k))
			c.errf(i, "the %s rate is also given in %s", k, c.l.headers[c.l.k.byKey["person_month_rates"]])
			continue
		}
		if rates == nil {
			rates = map[string]ledger.Money{}
		}
		rates[k] = m
	}
	a.Valuation.PersonMonthRates = rates
	return &ledger.AgreementSigned{Agreement: a}
}

// pairs reads "key:value" items; a key without a value gets "".
func (c *rowCtx) pairs(key string) ([][2]string, int, bool) {
	v, i, ok := c.value(key)
	if !ok {
		return nil, i, false
	}
	var out [][2]string
	for _, item := range splitList(asciiFold(v)) {
		k, val, _ := splitPair(item)
		out = append(out, [2]string{k, val})
	}
	return out, i, true
}

// weights reads "cash:1; personnel:0.8" keyed by the column's enumeration.
func (c *rowCtx) weights(key string) map[string]ledger.Ratio {
	items, i, ok := c.pairs(key)
	if !ok {
		return nil
	}
	e := c.l.k.cols[i].enum
	out := map[string]ledger.Ratio{}
	for _, it := range items {
		k, ok := e.parse(it[0])
		if !ok {
			c.errf(i, "%q is not a known %s: %s", it[0], e.name, e.describe())
			continue
		}
		s, pct := strings.CutSuffix(it[1], "%")
		r, err := parseNumber(s, c.l.pc.xlsx)
		if it[1] == "" || err != nil {
			c.errf(i, "%s: %q is not an exact number (write 0.8, 80%% or 4/5)", k, it[1])
			continue
		}
		if pct {
			r.Quo(r, big.NewRat(100, 1))
		}
		if _, dup := out[k]; dup {
			c.errf(i, "%s is given twice", k)
			continue
		}
		out[k] = ledger.RatioOf(r)
	}
	return out
}

// rates reads "enterprise:3万; university:2万".
func (c *rowCtx) rates(key string) map[string]ledger.Money {
	items, i, ok := c.pairs(key)
	if !ok {
		return nil
	}
	out := map[string]ledger.Money{}
	for _, it := range items {
		k, ok := memberKinds.parse(it[0])
		if !ok {
			c.errf(i, "%q is not a known member kind: %s", it[0], memberKinds.describe())
			continue
		}
		m, err := parseMoney(it[1], c.moneyCtx(i))
		if err != nil {
			c.errf(i, "%s: %v", k, err)
			continue
		}
		if _, dup := out[k]; dup {
			c.errf(i, "%s is given twice", k)
			continue
		}
		out[k] = m
	}
	return out
}

func buildProject(c *rowCtx, at time.Time) ledger.Payload {
	return &ledger.ProjectOpened{
		Project:      c.id("project"),
		Name:         c.text("name"),
		Lead:         c.id("lead"),
		Participants: c.budgets("participants"),
		Start:        dateOf(at),
		End:          c.day("end"),
	}
}

// budgets reads "M02:500万; M03:300万"; a member without a budget has 0.
func (c *rowCtx) budgets(key string) []ledger.Participant {
	items, i, ok := c.pairs(key)
	if !ok {
		return nil
	}
	var out []ledger.Participant
	for _, it := range items {
		if !validID(it[0]) {
			c.errf(i, "%q is not a member id", it[0])
			continue
		}
		b := ledger.Money{Currency: c.l.pc.currency}
		if it[1] != "" {
			m, err := parseMoney(it[1], c.moneyCtx(i))
			if err != nil {
				c.errf(i, "%s: %v", it[0], err)
				continue
			}
			b = m
		} else if u := c.l.units[i].currency; u != "" {
			b.Currency = u
		}
		out = append(out, ledger.Participant{Member: it[0], Budget: b})
	}
	return out
}

// measureUnits maps the usual Chinese units of contributions in kind to
// the ledger's names (person-month is the one the agreement rates value).
var measureUnits = map[string]string{
	"人月": "person-month", "personmonth": "person-month", "personmonths": "person-month", "pm": "person-month",
	"机时": "machine-hour", "台时": "machine-hour", "machinehour": "machine-hour", "machinehours": "machine-hour",
	"人天": "person-day", "人日": "person-day", "personday": "person-day", "persondays": "person-day",
}

func buildContribution(c *rowCtx, _ time.Time) ledger.Payload {
	p := &ledger.ContributionRecorded{
		Member:  c.id("member"),
		Project: c.id("project"),
		Kind:    c.enum("kind"),
	}
	if m, ok := c.money("value"); ok {
		p.Value = m
	}
	p.Quantity = c.number("quantity")
	if u := c.text("unit"); u != "" {
		if w, ok := measureUnits[norm(u)]; ok {
			u = w
		}
		p.Unit = u
	}
	if m, ok := c.money("unit_value"); ok {
		p.UnitValue = &m
	}
	p.Valuation = c.enum("valuation")
	p.Counterparty = c.id("counterparty")
	p.Description = c.text("description")
	p.Evidence = c.evidence("evidence_sha256", "evidence_uri")
	v, i := c.cell("value")
	q, j := c.cell("quantity")
	if v == "" && q == "" && !slices.Contains(c.done, c.l.pos[i]) {
		if c.l.pos[i] < 0 {
			i = j
		}
		if c.l.pos[i] >= 0 {
			c.errf(i, "is required (or give a quantity, unit and unit value)")
		}
	}
	return p
}

func buildIP(c *rowCtx, _ time.Time) ledger.Payload {
	return &ledger.IPFiled{
		Asset:     c.id("asset"),
		Type:      c.enum("type"),
		Title:     c.text("title"),
		Number:    c.text("number"),
		Owners:    c.shares("owners"),
		Inventors: c.textList("inventors"),
		Project:   c.id("project"),
		Evidence:  c.evidence("evidence_sha256", "evidence_uri"),
	}
}

// shares reads "M02:60%; M03:40%". A single member without a share owns
// it all; members without shares share equally (joint ownership).
func (c *rowCtx) shares(key string) []ledger.Share {
	items, i, ok := c.pairs(key)
	if !ok {
		return nil
	}
	with := 0
	for _, it := range items {
		if it[1] != "" {
			with++
		}
	}
	if with != 0 && with != len(items) {
		c.errf(i, "give every owner a share, or none (equal shares)")
		return nil
	}
	var out []ledger.Share
	for _, it := range items {
		if !validID(it[0]) {
			c.errf(i, "%q is not a member id", it[0])
			continue
		}
		sh := ledger.NewRatio(1, int64(len(items)))
		if with > 0 {
			r, err := parseShare(it[1], c.l.percent[i], c.l.pc.xlsx)
			if err != nil {
				c.errf(i, "%s: %v", it[0], err)
				continue
			}
			sh = r
		}
		out = append(out, ledger.Share{Member: it[0], Share: sh})
	}
	return out
}

func buildFunding(c *rowCtx, _ time.Time) ledger.Payload {
	p := &ledger.FundingReceived{
		Source: c.enum("source"),
		Payer:  c.text("payer"),
		Member: c.id("member"),
	}
	p.Amount, _ = c.money("amount")
	p.Project = c.id("project")
	p.Reference = c.text("reference")
	p.Evidence = c.evidence("evidence_sha256", "evidence_uri")
	return p
}

func buildCost(c *rowCtx, _ time.Time) ledger.Payload {
	p := &ledger.CostIncurred{
		Project:  c.id("project"),
		Category: c.enum("category"),
	}
	p.Amount, _ = c.money("amount")
	p.BorneBy = c.id("borne_by")
	p.Description = c.text("description")
	p.Evidence = c.evidence("evidence_sha256", "evidence_uri")
	return p
}
