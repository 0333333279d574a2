package sample

import (
	"fmt"
	"sort"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
)

type ipStep struct {
	day          int
	status       string // granted, rejected, licensed, transferred, lapsed
	counterparty string // licensee or transferee
	note         string
}

type royalty struct {
	day      int
	licensee string
	yuan     int64
	period   string
}

type ipSpec struct {
	day                 int
	project, typ, title string
	owners              []string
	shares              []string
	steps               []ipStep
	royalties           []royalty
}

func own(pairs ...string) ([]string, []string) {
	var owners, shares []string
	for i := 0; i < len(pairs); i += 2 {
		owners, shares = append(owners, pairs[i]), append(shares, pairs[i+1])
	}
	return owners, shares
}

func ip(day int, project, typ, title string, owners ...string) ipSpec {
	o, s := own(owners...)
	return ipSpec{day: day, project: project, typ: typ, title: title, owners: o, shares: s}
}

func (s ipSpec) then(steps ...ipStep) ipSpec { s.steps = append(s.steps, steps...); return s }

func (s ipSpec) paying(rs ...royalty) ipSpec { s.royalties = append(s.royalties, rs...); return s }

func granted(day int) ipStep { return ipStep{day: day, status: "granted"} }

const (
	licenseeCathode  = "华东某正极材料生产企业"
	licenseeEquip    = "某锂电装备制造企业"
	licenseeTruck    = "某商用车企业"
	transfereeStorag = "某储能系统集成企业"
)

// ipPortfolio is the alliance's innovation output over three years.
var ipPortfolio = []ipSpec{
	// P1 high-nickel cathodes.
	ip(250, "P1", "patent-invention", "一种低钴高镍三元正极材料前驱体的共沉淀制备方法", "M04", "0.6", "M01", "0.4").
		then(granted(640), ipStep{day: 660, status: "licensed", counterparty: licenseeCathode, note: "普通许可，许可期5年，入门费加销售额提成"}).
		paying(royalty{700, licenseeCathode, 1_200_000, "入门费"}, royalty{870, licenseeCathode, 800_000, "提成"}),
	ip(300, "P1", "patent-utility-model", "一种高镍前驱体连续共沉淀反应釜", "M04", "1").
		then(granted(480), ipStep{day: 700, status: "licensed", counterparty: licenseeEquip, note: "普通许可"}).
		paying(royalty{760, licenseeEquip, 300_000, "许可费"}),
	ip(420, "P1", "paper", "Low-cost co-precipitation synthesis of cobalt-lean Ni-rich layered cathodes with suppressed cation mixing", "M01", "1/2", "M03", "1/2"),
	ip(520, "P1", "patent-invention", "一种高镍正极材料的快离子导体表面包覆改性方法", "M04", "1/3", "M03", "1/3", "M09", "1/3").
		then(ipStep{day: 1000, status: "rejected", note: "国家知识产权局驳回：权利要求1-6相对于对比文件1、2不具备创造性"}),
	ip(600, "P1", "standard-group", "动力电池用高镍三元正极材料技术规范", "M04", "0.4", "M02", "0.3", "M03", "0.3").
		then(ipStep{day: 800, status: "granted", note: "团体标准发布"}),
	ip(700, "P1", "software-copyright", "正极材料烧结工艺参数优化软件V1.0", "M01", "1").then(ipStep{day: 745, status: "granted", note: "完成计算机软件著作权登记"}),
	ip(820, "P1", "new-process", "高镍三元正极材料低成本连续化制备工艺", "M04", "0.7", "M02", "0.3"),

	// P2 solid-state batteries.
	ip(200, "P2", "patent-invention", "一种高离子电导率硫银锗矿型硫化物固态电解质及其制备方法", "M02", "1/2", "M03", "1/2").then(granted(760)),
	ip(260, "P2", "paper", "Interfacial stabilization of argyrodite sulfide electrolytes against high-voltage cathodes", "M07", "0.5", "M03", "0.5"),
	ip(330, "P2", "patent-invention", "一种全固态电池复合正极极片及其制备方法", "M02", "0.5", "M07", "0.25", "M03", "0.25").then(granted(900)),
	ip(380, "P2", "patent-utility-model", "一种固态电池温等静压成型装置", "M02", "0.7", "M08", "0.3").then(granted(560)),
	ip(450, "P2", "patent-design", "固态电池模组外壳", "M02", "1").then(granted(590)),
	ip(560, "P2", "patent-invention", "一种干法电极成膜设备及成膜方法", "M13", "0.6", "M02", "0.4"),
	ip(640, "P2", "standard-industry", "全固态锂离子电池 安全要求及试验方法", "M02", "0.4", "M03", "0.3", "M07", "0.3").
		then(ipStep{day: 1010, status: "granted", note: "行业标准发布"}),
	ip(720, "P2", "new-product", "350Wh/kg全固态电池样品", "M02", "1"),
	ip(780, "P2", "software-copyright", "固态电解质材料高通量计算筛选平台V1.0", "M03", "1").then(ipStep{day: 815, status: "granted", note: "完成计算机软件著作权登记"}),
	ip(880, "P2", "patent-invention", "一种陶瓷-聚合物复合隔膜及包含其的固态电池", "M08", "2/3", "M03", "1/3"),
	ip(950, "P2", "paper", "Dry-processed thick cathodes for sulfide all-solid-state batteries", "M07", "0.6", "M02", "0.4"),
	ip(1000, "P2", "patent-utility-model", "一种硫化物电解质干燥房湿度分区控制系统", "M13", "1/2", "M08", "1/2"),

	// P3 second-life and recycling (failed).
	ip(280, "P3", "patent-invention", "一种退役动力电池健康状态快速评估方法", "M11", "0.5", "M01", "0.5").then(granted(760)),
	ip(350, "P3", "patent-utility-model", "一种退役电池包自动拆解夹具", "M11", "1").
		then(granted(520), ipStep{day: 1000, status: "lapsed", note: "专利权人退出联盟后未缴纳年费，专利权终止"}),
	ip(420, "P3", "standard-group", "车用动力电池梯次利用 余能检测规范", "M10", "0.5", "M11", "0.3", "M05", "0.2").
		then(ipStep{day: 640, status: "granted", note: "团体标准发布"}),
	ip(480, "P3", "new-process", "退役磷酸铁锂电池湿法选择性提锂再生工艺", "M11", "0.6", "M01", "0.4"),

	// P4 BMS functional safety.
	ip(420, "P4", "software-copyright", "电池管理系统云端诊断平台V1.0", "M06", "1").
		then(ipStep{day: 455, status: "granted", note: "完成计算机软件著作权登记"}, ipStep{day: 700, status: "licensed", counterparty: licenseeTruck, note: "普通许可，按装车量计费"}).
		paying(royalty{760, licenseeTruck, 500_000, "首年许可费"}, royalty{1060, licenseeTruck, 500_000, "第二年许可费"}),
	ip(500, "P4", "patent-invention", "一种基于云端运行数据的动力电池热失控分级预警方法", "M06", "0.5", "M07", "0.3", "M05", "0.2").then(granted(1040)),
	ip(580, "P4", "patent-utility-model", "一种电池管理系统高压绝缘检测电路", "M06", "1").
		then(granted(760), ipStep{day: 950, status: "transferred", counterparty: transfereeStorag, note: "专利权转让，转让价款由锐驰公司自行收取"}),
	ip(650, "P4", "standard-national", "电动汽车用电池管理系统功能安全要求及试验方法", "M06", "0.3", "M10", "0.3", "M05", "0.2", "M07", "0.2"),
	ip(800, "P4", "paper", "Cloud-edge collaborative early warning of thermal runaway for electric vehicle batteries", "M07", "0.6", "M06", "0.4"),
	ip(900, "P4", "new-product", "车规级功能安全（ASIL-C）BMS主控板", "M06", "0.8", "M05", "0.2"),
	ip(980, "P4", "patent-design", "电池管理系统主控盒", "M06", "1"),

	// P5 battery big data.
	ip(760, "P5", "software-copyright", "动力电池全生命周期大数据平台V1.0", "M03", "0.5", "M12", "0.5").then(ipStep{day: 800, status: "granted", note: "完成计算机软件著作权登记"}),
	ip(850, "P5", "standard-group", "动力电池运行数据采集与交换规范", "M12", "0.4", "M03", "0.3", "M10", "0.3").
		then(ipStep{day: 1020, status: "granted", note: "团体标准发布"}),
	ip(930, "P5", "patent-invention", "一种基于多源运行数据的动力电池剩余寿命预测方法", "M03", "0.4", "M09", "0.3", "M05", "0.3"),
	ip(1020, "P5", "paper", "A federated data platform for lifecycle health analytics of traction batteries", "M03", "1/2", "M09", "1/2"),
}

// patentNumber returns a Chinese patent application number: the year, the
// kind (1 invention, 2 utility model, 3 design), a 7-digit serial and the
// check digit.
func (p *planner) patentNumber(year, kind int) string {
	digits := fmt.Sprintf("%d%d%07d", year, kind, p.rng.IntN(10_000_000))
	sum := 0
	for i, c := range digits {
		sum += int(c-'0') * (2 + i%8)
	}
	check := sum % 11
	if check == 10 {
		return digits + ".X"
	}
	return fmt.Sprintf("%s.%d", digits, check)
}

// ipNumbers returns an asset's number at filing and when granted (or
// registered, or published).
func (p *planner) ipNumbers(s ipSpec) (filed, granted string) {
	year := p.year(s.day)
	grantYear := year
	for _, st := range s.steps {
		if st.status == "granted" {
			grantYear = p.year(st.day)
		}
	}
	switch s.typ {
	case "patent-invention", "patent-utility-model", "patent-design":
		kind := map[string]int{"patent-invention": 1, "patent-utility-model": 2, "patent-design": 3}[s.typ]
		n := p.patentNumber(year, kind)
		return "CN" + n, "ZL" + n
	case "software-copyright":
		return "", fmt.Sprintf("%dSR%07d", grantYear, p.rng.IntN(3_000_000))
	case "standard-national":
		return fmt.Sprintf("%d%04d-T-339", year, p.rng.IntN(10_000)), fmt.Sprintf("GB/T %d-%d", 40_000+p.rng.IntN(9_000), grantYear)
	case "standard-industry":
		return fmt.Sprintf("%d-%04dT-QC", year, p.rng.IntN(10_000)), fmt.Sprintf("QC/T %d-%d", 1_100+p.rng.IntN(400), grantYear)
	case "standard-group":
		return "", fmt.Sprintf("T/YDNEV %03d-%d", 1+p.rng.IntN(60), grantYear)
	case "new-product":
		return fmt.Sprintf("苏科鉴字〔%d〕第%03d号", year, 1+p.rng.IntN(400)), ""
	case "new-process":
		return fmt.Sprintf("浙科鉴字〔%d〕第%03d号", year, 1+p.rng.IntN(400)), ""
	}
	return "", ""
}

func (p *planner) ipFilings() {
	specs := append([]ipSpec(nil), ipPortfolio...)
	sort.SliceStable(specs, func(i, j int) bool { return specs[i].day < specs[j].day })
	for i, s := range specs {
		asset := fmt.Sprintf("IP-%03d", i+1)
		filedNo, grantNo := p.ipNumbers(s)
		owners := make([]ledger.Share, len(s.owners))
		var inventors []string
		for j, o := range s.owners {
			if !memberByID(o).activeOn(s.day) {
				panic(fmt.Sprintf("sample: %s co-owns %s but is not a member on day %d", o, s.title, s.day))
			}
			owners[j] = ledger.Share{Member: o, Share: ledger.MustRatio(s.shares[j])}
			team := p.team[o]
			k := p.rng.IntN(len(team))
			inventors = append(inventors, team[k])
			if len(s.owners) <= 2 && p.rng.IntN(2) == 0 {
				inventors = append(inventors, team[(k+1)%len(team)])
			}
		}
		filing := &ledger.IPFiled{Asset: asset, Type: s.typ, Title: s.title, Number: filedNo, Owners: owners, Inventors: inventors, Project: s.project}
		if strings.HasPrefix(s.typ, "patent") || strings.HasPrefix(s.typ, "standard") {
			filing.Evidence = evidence("申请文件及受理通知书", "ip/"+asset+"/filing.pdf")
		}
		p.add1(s.day, secretariat, filing)
		for _, st := range s.steps {
			ch := &ledger.IPStatusChanged{Asset: asset, Status: st.status, Counterparty: st.counterparty, Note: st.note}
			if st.status == "granted" {
				ch.Number = grantNo
			}
			p.add1(st.day, secretariat, ch)
		}
		for _, r := range s.royalties {
			amount, project := r.yuan*100, s.project
			p.add(r.day, secretariat, func() []ledger.Payload {
				return []ledger.Payload{&ledger.IPLicenceRevenue{Asset: asset, Licensee: r.licensee, Amount: fen(amount),
					Period: fmt.Sprintf("%d %s", p.year(r.day), r.period)}}
			}).done = func(uint64) { p.t.licence[project] += amount }
		}
	}
}
