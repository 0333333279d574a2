package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Column documents one column of a kind of sheet: its key, its English and
// Chinese names (either, or both as "中文 english", names it in a header),
// whether a row needs it, and the format of its cells.
type Column struct {
	Key, EN, ZH string
	Required    bool
	Format      string
}

// Columns documents a kind's columns, in template order; nil for an
// unknown kind. For "agreement" they are the terms of its key/value sheet.
func Columns(kind string) []Column {
	k := kinds[kind]
	if k == nil {
		return nil
	}
	out := make([]Column, len(k.cols))
	for i, c := range k.cols {
		out[i] = c.Column
	}
	return out
}

// cellType says how a column's cells are read.
type cellType int

const (
	tText     cellType = iota
	tID                // a member, project or asset id
	tIDList            // ids separated by ';', ',', '、'
	tTextList          // names separated the same way
	tEnum              // one of an enumeration, English or Chinese
	tEnumList          // several of an enumeration
	tDate              // a date; some also give the command's time
	tMoney             // an amount
	tNumber            // an exact positive number (quantity)
	tShares            // "M02:60%; M03:40%"
	tBudgets           // "M02:500万; M03:300万"
	tRates             // "enterprise:3万; university:2万" (agreement)
	tWeights           // "cash:1; personnel:0.8" (agreement)
	tSHA256            // 64 hex digits
	tUnit              // a unit of measure
)

type colSpec struct {
	Column
	typ     cellType
	enum    *enumSpec // for tEnum, tEnumList, and the keys of tRates, tWeights
	aliases []string  // further names, as written (normalised at init)
	max     int       // maximum length in characters of text, 0 for none
}

type kindSpec struct {
	name    string
	zh      string // primary Chinese sheet name
	aliases []string
	cols    []colSpec
	byKey   map[string]int
	names   map[string]int // normalised name → column index
	// fields maps a payload field (JSON path without "payload.") to the
	// column it comes from, for errors the ledger's validation reports.
	fields map[string]string
	build  func(c *rowCtx, at time.Time) ledger.Payload
	// date is the key of the column that gives the command's time.
	date string
}

// ignored are header names of columns a sheet may carry and the importer
// does not read: a serial number, remarks.
var ignored = normSet("序号", "编号序号", "no", "no.", "#", "seq", "备注", "remark", "remarks", "note", "notes", "注")

func normSet(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[norm(n)] = true
	}
	return m
}

// enumSpec is an enumeration of the ledger with its Chinese aliases.
type enumSpec struct {
	name   string
	values []string
	zh     map[string]string // value → its Chinese label (first alias)
	lookup map[string]string // normalised alias → value
	exact  map[string]string // values, aliases and labels as written → value
}

func newEnum(name string, values []string, aliases map[string][]string) *enumSpec {
	e := &enumSpec{name: name, values: values, zh: map[string]string{}, lookup: map[string]string{}, exact: map[string]string{}}
	for _, v := range values {
		e.lookup[norm(v)] = v
		e.exact[v] = v
		for i, a := range aliases[v] {
			if i == 0 {
				e.zh[v] = a
				e.exact[a+" "+v] = v
			}
			e.exact[a] = v
			if prev, dup := e.lookup[norm(a)]; dup && prev != v {
				panic(fmt.Sprintf("importer: %s alias %q names %s and %s", name, a, prev, v))
			}
			e.lookup[norm(a)] = v
		}
	}
	for v := range aliases {
		if !slices.Contains(values, v) {
			panic(fmt.Sprintf("importer: %s has no value %q", name, v))
		}
	}
	return e
}

// label is the bilingual form of a value, as the template's drop-downs
// offer it: "企业 enterprise".
func (e *enumSpec) label(v string) string {
	if zh := e.zh[v]; zh != "" {
		return zh + " " + v
	}
	return v
}

// parse reads a value written in English, in Chinese, or both ("企业
// enterprise"); case, spaces, '_' and '-' do not matter.
func (e *enumSpec) parse(s string) (string, bool) {
	if v, ok := e.exact[s]; ok {
		return v, true
	}
	if v, ok := e.lookup[norm(s)]; ok {
		return v, true
	}
	return resolveParts(s, func(p string) (string, bool) {
		v, ok := e.lookup[norm(p)]
		return v, ok
	})
}

func (e *enumSpec) describe() string {
	var b strings.Builder
	for i, v := range e.values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v)
		if zh := e.zh[v]; zh != "" {
			b.WriteString(" (" + zh + ")")
		}
	}
	return b.String()
}

// The enumerations, with their Chinese names. The first alias of a value
// is the label the template shows.
var (
	memberKinds = newEnum("member kind", ledger.MemberKinds, map[string][]string{
		"enterprise":         {"企业", "公司", "企业单位"},
		"university":         {"高校", "大学", "高等院校", "学院"},
		"research-institute": {"科研院所", "研究院", "研究所", "科研机构", "研究机构", "institute"},
		"other":              {"其他", "其它"},
	})
	memberRoles = newEnum("role", ledger.MemberRoles, map[string][]string{
		"chair":      {"理事长", "理事长单位"},
		"vice-chair": {"副理事长", "副理事长单位"},
		"council":    {"理事", "理事单位", "council member"},
		"ordinary":   {"成员", "成员单位", "普通成员", "会员", "会员单位", "member"},
	})
	contributionKinds = newEnum("contribution kind", ledger.ContributionKinds, map[string][]string{
		"cash":       {"现金", "货币", "资金", "货币资金"},
		"equipment":  {"设备", "仪器设备", "仪器"},
		"personnel":  {"人员", "人力", "人力资源"},
		"technology": {"技术", "专有技术"},
		"data":       {"数据", "数据资源"},
		"facility":   {"设施", "场地", "场地设施"},
	})
	valuationMethods = newEnum("valuation method", ledger.ValuationMethods, map[string][]string{
		"declared":       {"自报", "申报", "申报价值"},
		"agreement-rate": {"协议费率", "协议价", "协议标准"},
		"market-price":   {"市场价", "市场价格", "市价"},
		"appraisal":      {"评估", "资产评估", "评估价值"},
		"book-value":     {"账面价值", "账面价", "净值"},
	})
	ipTypes = newEnum("IP type", ledger.IPTypes, map[string][]string{
		"patent-invention":     {"发明专利", "发明"},
		"patent-utility-model": {"实用新型", "实用新型专利"},
		"patent-design":        {"外观设计", "外观设计专利"},
		"software-copyright":   {"软件著作权", "软著", "计算机软件著作权"},
		"standard-national":    {"国家标准", "国标"},
		"standard-industry":    {"行业标准", "行标"},
		"standard-group":       {"团体标准", "团标"},
		"paper":                {"论文", "学术论文"},
		"new-product":          {"新产品"},
		"new-process":          {"新工艺"},
	})
	fundingSources = newEnum("funding source", ledger.FundingSources, map[string][]string{
		"government-grant":    {"政府资助", "政府资金", "财政资金", "财政拨款", "政府拨款"},
		"matching-funds":      {"配套资金", "配套经费", "自筹配套"},
		"member-dues":         {"会费", "成员会费"},
		"external-investment": {"外部投资", "社会投资", "投资"},
		"licensing-revenue":   {"许可收入", "许可费", "知识产权许可收入"},
		"service-revenue":     {"服务收入", "技术服务收入"},
	})
	costCategories = newEnum("cost category", ledger.CostCategories, map[string][]string{
		"personnel": {"人员费", "人工费", "劳务费", "人员"},
		"equipment": {"设备费", "设备购置费", "设备"},
		"materials": {"材料费", "材料"},
		"services":  {"测试化验加工费", "服务费", "外协费", "加工费", "测试费"},
		"travel":    {"差旅费", "差旅", "会议差旅费"},
		"facility":  {"场地费", "设施费", "房屋租赁费"},
		"overhead":  {"间接费用", "管理费", "间接费"},
		"other":     {"其他费用", "其他", "其它"},
	})
	distributionMethods = newEnum("distribution method", ledger.DistributionMethods, map[string][]string{
		"proportional":        {"按比例", "按投入比例", "比例分配", "按投入比例分配"},
		"shapley":             {"Shapley值", "沙普利值", "Shapley值法"},
		"risk-shapley":        {"风险修正Shapley", "风险修正Shapley值", "风险修正的Shapley值"},
		"multifactor-shapley": {"多因素修正Shapley", "多因素修正Shapley值", "多因素修正的Shapley值"},
		"nash":                {"纳什谈判", "Nash谈判", "纳什", "Nash bargaining"},
	})
	riskRules = newEnum("risk rule", ledger.RiskRules, map[string][]string{
		"contribution": {"按投入", "按投入比例", "按贡献"},
		"budget":       {"按预算", "按预算比例"},
		"equal":        {"平均分担", "平均", "均摊"},
	})
	ipOwnershipRules = newEnum("IP ownership rule", ledger.IPOwnershipRules, map[string][]string{
		"by-contribution": {"按贡献", "按投入", "按贡献分配"},
		"filer":           {"申请方", "申请人", "归申请方"},
		"joint-equal":     {"共有均分", "共同所有", "平均共有"},
		"custodian":       {"托管方", "托管单位", "归托管方"},
	})
	factors = newEnum("factor", ledger.Factors, map[string][]string{
		"investment": {"投入", "投资", "资源投入"},
		"risk":       {"风险", "风险承担"},
		"innovation": {"创新", "创新贡献"},
		"effort":     {"努力", "努力程度", "工作量"},
	})
)

// Formats shared by several columns, for the documentation.
const (
	fmtID     = "id: 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit (M02, P-2025-01)"
	fmtDate   = "date: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301 or an Excel date; 09:00 local time when no time is given"
	fmtMoney  = "amount: 1234567.89, 1,234,567.89, 1 234 567, ¥1,234.50, 12.5万 or 12.5 万元; a unit in the header ((元), (万元), (10k CNY), (USD)) applies to the column; a unit in the cell overrides it; no more decimals than the currency allows"
	fmtSHA256 = "64 hexadecimal digits: the SHA-256 of the supporting document"
	fmtURI    = "where the supporting document is (URL or archive reference)"
)

func enumFormat(e *enumSpec) string { return "one of: " + e.describe() }

// kinds are the kinds of sheet, by name.
var kinds = buildKinds()

func buildKinds() map[string]*kindSpec {
	kinds := map[string]*kindSpec{}
	for _, k := range []*kindSpec{membersKind(), agreementKind(), projectsKind(), contributionsKind(), ipKind(), fundingKind(), costsKind()} {
		k.byKey = map[string]int{}
		k.names = map[string]int{}
		for i, c := range k.cols {
			k.byKey[c.Key] = i
			for _, n := range append([]string{c.Key, c.EN, c.ZH}, c.aliases...) {
				n = norm(n)
				if j, dup := k.names[n]; dup && j != i {
					panic(fmt.Sprintf("importer: %s column name %q names %s and %s", k.name, n, k.cols[j].Key, c.Key))
				}
				if ignored[n] {
					panic(fmt.Sprintf("importer: %s column name %q is ignored", k.name, n))
				}
				k.names[n] = i
			}
		}
		for _, key := range k.fields {
			if _, ok := k.byKey[key]; !ok {
				panic(fmt.Sprintf("importer: %s field maps to unknown column %q", k.name, key))
			}
		}
		kinds[k.name] = k
	}
	if len(kinds) != len(Kinds) {
		panic("importer: Kinds and the kind specs disagree")
	}
	return kinds
}

func col(key, en, zh string, required bool, typ cellType, format string, aliases ...string) colSpec {
	return colSpec{Column: Column{Key: key, EN: en, ZH: zh, Required: required, Format: format}, typ: typ, aliases: aliases}
}

func enumCol(key, en, zh string, required bool, e *enumSpec, aliases ...string) colSpec {
	c := col(key, en, zh, required, tEnum, enumFormat(e), aliases...)
	c.enum = e
	return c
}

func textCol(key, en, zh string, required bool, max int, aliases ...string) colSpec {
	c := col(key, en, zh, required, tText, fmt.Sprintf("text, at most %d characters", max), aliases...)
	c.max = max
	return c
}

func evidenceCols() []colSpec {
	return []colSpec{
		col("evidence_sha256", "evidence sha256", "凭证SHA256", false, tSHA256, fmtSHA256, "sha256", "evidence", "凭证哈希", "凭证摘要", "凭证"),
		col("evidence_uri", "evidence uri", "凭证链接", false, tText, fmtURI, "uri", "url", "evidence url", "凭证地址", "凭证位置"),
	}
}

var evidenceFields = map[string]string{"evidence": "evidence_sha256", "evidence.sha256": "evidence_sha256", "evidence.uri": "evidence_uri"}

func withEvidence(m map[string]string) map[string]string {
	for k, v := range evidenceFields {
		m[k] = v
	}
	return m
}

func membersKind() *kindSpec {
	return &kindSpec{
		name: "members", zh: "成员单位",
		aliases: []string{"member", "成员", "成员单位", "联盟成员", "成员名录", "成员名单", "成员单位名录"},
		cols: []colSpec{
			col("member", "member", "成员编号", true, tID, fmtID, "member id", "id", "编号", "成员代码", "单位编号"),
			textCol("name", "name", "单位名称", true, 200, "member name", "名称", "成员名称", "成员单位", "成员单位名称"),
			textCol("name_en", "English name", "英文名称", false, 200, "name en", "english", "英文名", "单位英文名称"),
			enumCol("kind", "kind", "单位类型", true, memberKinds, "member kind", "type", "类型", "单位性质", "性质"),
			enumCol("role", "role", "联盟职务", true, memberRoles, "角色", "职务", "理事会职务", "联盟角色"),
			col("credit_code", "credit code", "统一社会信用代码", false, tText, "the 18-character unified social credit code", "uscc", "unified social credit code", "信用代码", "社会信用代码"),
			col("date", "date admitted", "入盟日期", true, tDate, fmtDate+"; the time of member.admitted", "date", "admitted", "admitted on", "join date", "日期", "加入日期", "入盟时间"),
		},
		fields: map[string]string{"member": "member", "name": "name", "name_en": "name_en", "kind": "kind", "role": "role", "credit_code": "credit_code"},
		build:  buildMember,
		date:   "date",
	}
}

// personMonthRateKey names the column of one member kind's rate.
func personMonthRateKey(kind string) string { return "rate_" + kind }

func agreementKind() *kindSpec {
	cols := []colSpec{
		textCol("title", "title", "协议名称", true, 200, "name", "名称", "标题", "协议标题"),
		col("effective_date", "effective date", "生效日期", true, tDate, fmtDate+"; the time of agreement.signed", "effective", "date", "日期", "生效时间"),
		enumCol("distribution_method", "distribution method", "利益分配方式", true, distributionMethods, "distribution", "method", "分配方式", "收益分配方式"),
		{Column: Column{Key: "allowed_methods", EN: "allowed methods", ZH: "可选分配方式", Format: "distribution methods separated by ';' or ',': " + distributionMethods.describe()},
			typ: tEnumList, enum: distributionMethods, aliases: []string{"allowed", "other methods", "其他分配方式", "备选分配方式"}},
		enumCol("risk_rule", "risk rule", "风险分担方式", true, riskRules, "risk", "风险分担", "风险规则"),
		enumCol("ip_ownership", "IP ownership", "知识产权归属", true, ipOwnershipRules, "ip", "成果归属", "知识产权归属原则"),
		col("signatories", "signatories", "签署成员", true, tIDList, "member ids separated by ';', ',' or '、': M01, M02, M03", "signatory", "签署单位", "签约成员", "签约单位"),
		{Column: Column{Key: "person_month_rates", EN: "person-month rates", ZH: "人月费率", Format: "member kind:amount pairs, \"enterprise:3万; university:2万\" — the value of one person-month by member kind"},
			typ: tRates, enum: memberKinds, aliases: []string{"rates", "person month rate", "人月单价", "人月标准"}},
	}
	for _, k := range ledger.MemberKinds {
		c := col(personMonthRateKey(k), "person-month rate "+k, memberKinds.zh[k]+"人月费率", false, tMoney,
			"the value of one person-month of staff, for "+k+" members; "+fmtMoney)
		for _, zh := range aliasesOf(memberKinds, k) {
			c.aliases = append(c.aliases, "人月费率"+zh, "人月单价"+zh, zh+"人月单价", zh+"人月费率")
		}
		c.aliases = append(c.aliases, "rate "+k)
		cols = append(cols, c)
	}
	cols = append(cols,
		colSpec{Column: Column{Key: "kind_weights", EN: "kind weights", ZH: "投入类型权重", Format: "contribution kind:weight pairs for the proportional method, \"cash:1; personnel:0.8\" (missing kinds weigh 1)"},
			typ: tWeights, enum: contributionKinds, aliases: []string{"投入权重"}},
		colSpec{Column: Column{Key: "risk_coefficients", EN: "risk coefficients", ZH: "风险系数", Format: "contribution kind:coefficient pairs in [0, 1], \"cash:1; personnel:0.5\" (missing kinds weigh 1)"},
			typ: tWeights, enum: contributionKinds, aliases: []string{"风险权重"}},
		colSpec{Column: Column{Key: "factor_weights", EN: "factor weights", ZH: "修正因素权重", Format: "factor:weight pairs summing to 1 (needed by multifactor-shapley), \"investment:0.4; risk:0.3; innovation:0.2; effort:0.1\"; factors: " + factors.describe()},
			typ: tWeights, enum: factors, aliases: []string{"factors", "因素权重", "修正系数"}},
		col("document_sha256", "document sha256", "协议文本SHA256", false, tSHA256, fmtSHA256+" (the signed agreement)", "document", "协议文本哈希", "协议文本"),
		col("document_uri", "document uri", "协议文本链接", false, tText, fmtURI+" (the signed agreement)", "document url", "协议文本地址"),
	)
	return &kindSpec{
		name: "agreement", zh: "协议条款",
		aliases: []string{"agreements", "协议", "协议条款", "联盟协议", "合作协议"},
		cols:    cols,
		fields: map[string]string{
			"title": "title", "effective_date": "effective_date", "distribution.method": "distribution_method",
			"distribution.allowed": "allowed_methods", "distribution.kind_weights": "kind_weights",
			"distribution.factor_weights": "factor_weights", "risk.rule": "risk_rule", "risk.coefficients": "risk_coefficients",
			"valuation.person_month_rates": "person_month_rates", "ip_ownership": "ip_ownership", "signatories": "signatories",
			"document": "document_sha256", "document.sha256": "document_sha256", "document.uri": "document_uri",
		},
		build: buildAgreement,
		date:  "effective_date",
	}
}

// aliasesOf lists a value's Chinese aliases.
func aliasesOf(e *enumSpec, v string) []string {
	var out []string
	for a, w := range e.lookup {
		if w == v && a != norm(v) && !isASCII(a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func projectsKind() *kindSpec {
	return &kindSpec{
		name: "projects", zh: "项目",
		aliases: []string{"project", "项目", "联合攻关项目", "项目立项", "攻关项目"},
		cols: []colSpec{
			col("project", "project", "项目编号", true, tID, fmtID, "project id", "id", "编号", "项目代码"),
			textCol("name", "name", "项目名称", true, 200, "project name", "名称"),
			col("lead", "lead", "牵头单位", true, tID, fmtID+": the lead member, one of the participants", "lead member", "牵头成员", "牵头单位编号"),
			col("participants", "participants", "参与单位及预算", true, tBudgets,
				"member:budget pairs separated by ';' (or new lines, '、', '，'), \"M02:500万; M03:300万\"; a budget is an amount (see amount), a member without one has budget 0; the lead is listed too",
				"participants budgets", "participants and budgets", "budgets", "参与单位", "参与成员", "参与单位预算", "成员及预算", "预算分配"),
			col("start", "start", "开始日期", true, tDate, fmtDate+"; the time of project.opened", "start date", "date", "开始时间", "起始日期", "立项日期", "日期"),
			col("end", "planned end", "计划结束日期", false, tDate, fmtDate, "end", "end date", "结束日期", "截止日期", "计划完成日期"),
		},
		fields: map[string]string{"project": "project", "name": "name", "lead": "lead", "participants": "participants", "start": "start", "end": "end"},
		build:  buildProject,
		date:   "start",
	}
}

func contributionsKind() *kindSpec {
	return &kindSpec{
		name: "contributions", zh: "投入",
		aliases: []string{"contribution", "投入", "出资", "资源投入", "投入明细", "出资明细"},
		cols: append([]colSpec{
			col("member", "member", "成员编号", true, tID, fmtID+": the contributing member", "member id", "成员", "投入单位", "出资单位", "投入成员", "出资成员"),
			col("project", "project", "项目编号", false, tID, fmtID+"; empty: a contribution to the alliance as a whole", "project id", "项目", "所属项目"),
			enumCol("kind", "kind", "投入类型", true, contributionKinds, "type", "contribution kind", "类型", "投入方式", "出资方式"),
			col("value", "value", "金额", false, tMoney, fmtMoney+"; required unless a quantity and unit are given", "amount", "价值", "投入金额", "出资金额", "作价金额", "出资额"),
			col("quantity", "quantity", "数量", false, tNumber, "exact positive number (2.5, 1/3); with unit, and unit value unless personnel in person-months (the agreement's rate)", "qty", "投入数量"),
			col("unit", "unit", "计量单位", false, tUnit, "unit of the quantity: person-month (人月), machine-hour (机时, 台时), or any other up to 40 characters", "unit of measure", "量纲"),
			col("unit_value", "unit value", "单价", false, tMoney, fmtMoney+"; the value of one unit", "unit price", "price", "rate", "单位价值", "价格"),
			enumCol("valuation", "valuation", "作价方式", false, valuationMethods, "valuation method", "估值方式", "计价方式", "评估方式"),
			col("counterparty", "counterparty", "确认单位", false, tID, fmtID+": the member that confirms the contribution; empty: the custodian", "confirmed by", "确认方", "确认成员"),
			textCol("description", "description", "说明", false, 2000, "desc", "描述", "内容", "摘要", "投入内容", "用途"),
			col("date", "date", "投入日期", true, tDate, fmtDate+"; the time of contribution.recorded", "contributed", "日期", "出资日期", "发生日期"),
		}, evidenceCols()...),
		fields: withEvidence(map[string]string{"member": "member", "project": "project", "kind": "kind", "value": "value",
			"quantity": "quantity", "unit": "unit", "unit_value": "unit_value", "valuation": "valuation",
			"counterparty": "counterparty", "description": "description"}),
		build: buildContribution,
		date:  "date",
	}
}

func ipKind() *kindSpec {
	return &kindSpec{
		name: "ip", zh: "知识产权",
		aliases: []string{"ips", "ip assets", "intellectual property", "outputs", "知识产权", "成果", "创新成果", "知识产权与成果", "知识产权与创新成果"},
		cols: append([]colSpec{
			col("asset", "asset", "成果编号", true, tID, fmtID+": the alliance's id for the asset", "asset id", "id", "编号", "资产编号", "知识产权编号"),
			enumCol("type", "type", "成果类型", true, ipTypes, "ip type", "kind", "类型", "知识产权类型", "类别"),
			textCol("title", "title", "名称", true, 500, "name", "成果名称", "专利名称", "标题", "题目"),
			textCol("number", "number", "申请号", false, 100, "application number", "registration number", "专利号", "登记号", "标准号", "申请号/登记号"),
			col("owners", "owners", "权利人及份额", true, tShares,
				"member:share pairs separated by ';' (or new lines, '、', '，'), \"M02:60%; M03:40%\", shares as 60%, 0.6 or 3/5 summing to 100%; a single member owns 100%; members without shares share equally; a header in (%) makes bare numbers percentages",
				"owner", "owner shares", "权利人", "权属", "所有权人", "权利人份额", "归属"),
			col("inventors", "inventors", "发明人", false, tTextList, "names separated by ';', ',' or '、'", "authors", "inventor", "设计人", "作者", "完成人"),
			col("project", "project", "项目编号", false, tID, fmtID+": the project it came from", "project id", "项目", "来源项目"),
			col("date", "date filed", "申请日期", true, tDate, fmtDate+"; the time of ip.filed", "date", "filed", "日期", "登记日期", "发布日期"),
		}, evidenceCols()...),
		fields: withEvidence(map[string]string{"asset": "asset", "type": "type", "title": "title", "number": "number",
			"owners": "owners", "inventors": "inventors", "project": "project"}),
		build: buildIP,
		date:  "date",
	}
}

func fundingKind() *kindSpec {
	return &kindSpec{
		name: "funding", zh: "经费",
		aliases: []string{"funds", "fundings", "经费", "资金", "经费来源", "资金来源", "经费到账", "到账"},
		cols: append([]colSpec{
			enumCol("source", "source", "经费来源", true, fundingSources, "funding source", "来源", "资金来源", "类型"),
			textCol("payer", "payer", "付款方", false, 200, "paid by", "付款单位", "出资方", "拨款单位", "资助方"),
			col("member", "member", "成员编号", false, tID, fmtID+": the paying member (required for member-dues and matching-funds)", "member id", "成员", "付款成员"),
			col("amount", "amount", "金额", true, tMoney, fmtMoney, "value", "到账金额", "经费金额"),
			col("project", "project", "项目编号", false, tID, fmtID+": the project the money is earmarked to", "project id", "项目"),
			textCol("reference", "reference", "文号", false, 200, "ref", "凭证号", "合同编号", "批准文号", "参考号"),
			col("date", "date received", "到账日期", true, tDate, fmtDate+"; the time of funding.received", "date", "received", "日期", "收款日期"),
		}, evidenceCols()...),
		fields: withEvidence(map[string]string{"source": "source", "payer": "payer", "member": "member", "amount": "amount",
			"project": "project", "reference": "reference"}),
		build: buildFunding,
		date:  "date",
	}
}

func costsKind() *kindSpec {
	return &kindSpec{
		name: "costs", zh: "成本",
		aliases: []string{"cost", "成本", "费用", "支出", "经费支出", "费用支出", "成本费用"},
		cols: append([]colSpec{
			col("project", "project", "项目编号", true, tID, fmtID, "project id", "项目"),
			enumCol("category", "category", "费用类别", true, costCategories, "cost category", "类别", "科目", "费用科目", "支出类别"),
			col("amount", "amount", "金额", true, tMoney, fmtMoney, "value", "支出金额", "费用金额"),
			col("borne_by", "borne by", "承担单位", false, tID, fmtID+": the member that bore the cost; empty: the alliance's common funds", "paid by", "承担成员", "支出单位", "承担方"),
			textCol("description", "description", "说明", false, 2000, "desc", "描述", "内容", "摘要", "用途"),
			col("date", "date", "发生日期", true, tDate, fmtDate+"; the time of cost.incurred", "incurred", "日期", "支出日期"),
		}, evidenceCols()...),
		fields: withEvidence(map[string]string{"project": "project", "category": "category", "amount": "amount",
			"borne_by": "borne_by", "description": "description"}),
		build: buildCost,
		date:  "date",
	}
}
