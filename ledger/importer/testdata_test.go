package importer_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// go test ./ledger/importer/ -run Testdata -update rewrites the files in
// testdata from the generators below; the files are committed, so the
// tests read what a user's Excel would hand the importer, not what this
// package's own writer makes.
var update = flag.Bool("update", false, "rewrite the files in testdata")

var generated struct {
	once sync.Once
	err  error
}

// testdata returns a file of testdata, generating them all first with -update.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	if *update {
		generated.once.Do(func() { generated.err = generate() })
		if generated.err != nil {
			t.Fatal(generated.err)
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("%v (run go test -run Testdata -update)", err)
	}
	return b
}

func generate() error {
	if err := os.MkdirAll(filepath.Join("testdata", "csv"), 0o755); err != nil {
		return err
	}
	for name, gen := range map[string]func(*excelize.File) error{
		"alliance-zh.xlsx": genZH, "alliance-en.xlsx": genEN, "errors.xlsx": genErrors,
	} {
		if err := writeWorkbook(name, gen); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for name, body := range csvFiles {
		b := []byte(body)
		switch {
		case strings.HasPrefix(name, "members"):
			b = append([]byte{0xEF, 0xBB, 0xBF}, bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))...)
		case name == "投入.csv":
			var err error
			if b, err = simplifiedchinese.GB18030.NewEncoder().Bytes(b); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join("testdata", "csv", name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeWorkbook(name string, gen func(*excelize.File) error) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := gen(x); err != nil {
		return err
	}
	if err := x.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	x.SetActiveSheet(0)
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join("testdata", name), b.Bytes(), 0o644)
}

// sheet writes rows of a sheet; nil leaves a cell empty, a time.Time is a
// date cell.
type sheet struct {
	x    *excelize.File
	name string
	err  error
}

func newSheet(x *excelize.File, name string) *sheet {
	s := &sheet{x: x, name: name}
	_, s.err = x.NewSheet(name)
	return s
}

func (s *sheet) row(n int, vals ...any) {
	for j, v := range vals {
		if v == nil || s.err != nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(j+1, n)
		s.err = s.x.SetCellValue(s.name, cell, v)
	}
}

func (s *sheet) merge(from, to string) {
	if s.err == nil {
		s.err = s.x.MergeCell(s.name, from, to)
	}
}

// blankRows styles empty cells, as Excel does for rows formatted but not
// filled in: the rows exist in the sheet, with no values.
func (s *sheet) blankRows(from, to string) {
	if s.err != nil {
		return
	}
	var style int
	if style, s.err = s.x.NewStyle(&excelize.Style{Border: []excelize.Border{{Type: "bottom", Color: "C0C0C0", Style: 1}}}); s.err == nil {
		s.err = s.x.SetCellStyle(s.name, from, to, style)
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// genZH writes the sample alliance as a Chinese secretariat keeps it:
// Chinese sheet names and headers, merged title rows, a two-row header,
// a project merged down its rows, amounts in 万元, text and Excel dates,
// a totals row and formatted empty rows at the end.
func genZH(x *excelize.File) error {
	s := newSheet(x, "成员单位")
	s.row(1, "长三角动力电池产业技术创新战略联盟成员单位名录")
	s.merge("A1", "H1")
	s.row(2, "序号", "成员编号", "单位名称", "英文名称", "单位类型", "联盟职务", "统一社会信用代码", "入盟日期")
	s.row(3, 1, "M01", "江苏动力电池创新中心有限公司", "Jiangsu Power Battery Innovation Center Co., Ltd.", "企业", "理事长", "91320100MA1N2K3L4P", "2024年1月15日")
	s.row(4, 2, "M02", "东南大学", "Southeast University", "高校", "副理事长", nil, date(2024, 1, 15))
	s.row(5, 3, "M03", "中国科学院物理研究所", "Institute of Physics, CAS", "科研院所", "理事", nil, "2024/3/1")
	s.row(6, 4, "M04", "苏州锂电装备有限公司", nil, "企业", "成员", "91320500ma1p2q3r4t", date(2024, 6, 18))
	s.row(8, nil, "  ")
	s.blankRows("A7", "H12")

	a := newSheet(x, "协议条款")
	a.row(1, "条款", "内容", "备注")
	a.row(2, "协议名称", "长三角动力电池产业技术创新战略联盟协议", "2024年1月理事会通过")
	a.row(3, "生效日期", date(2024, 2, 1))
	a.row(4, "利益分配方式", "多因素修正Shapley值")
	a.row(5, "可选分配方式", "按比例、Shapley值")
	a.row(6, "修正因素权重", "投资:0.4；风险:0.3；创新:0.2；努力程度:0.1")
	a.row(7, "投入类型权重", "现金:1；设备:0.9")
	a.row(8, "风险分担方式", "按投入")
	a.row(9, "风险系数", "现金:100%；人员:50%")
	a.row(10, "知识产权归属", "按贡献")
	a.row(11, "签署成员", "M01、M02、M03")
	a.row(13, "人月费率（企业）", "3万")
	a.row(14, "高校人月费率(元)", 20000)
	a.row(15, "人月费率(科研院所)", "2.5万")

	p := newSheet(x, "项目")
	p.row(1, "项目编号", "项目名称", "牵头单位", "参与单位及预算(万元)", "开始日期", "计划结束日期")
	p.row(2, "P01", "固态电解质中试线", "M01", "M01:500；M02:120；M03:80", "2024.3.1", "2026年2月28日")
	p.row(3, "P02", "高镍正极材料", "M03", "M03:300\nM04", 20240701)

	c := newSheet(x, "投入")
	c.row(1, "2024年度资源投入明细表")
	c.merge("A1", "L1")
	c.row(2, "成员编号", "项目编号", "投入类型", "投入价值", nil, nil, nil, "作价方式", "确认单位", "说明", "投入日期", "凭证SHA256")
	for _, col := range "ABCHIJKL" {
		c.merge(fmt.Sprintf("%c2", col), fmt.Sprintf("%c3", col))
	}
	c.merge("D2", "G2")
	c.row(3, nil, nil, nil, "金额(万元)", "数量", "计量单位", "单价(元)")
	c.row(4, "M01", "P01", "现金", 150, nil, nil, nil, nil, nil, "首期经费", "2024年3月15日")
	c.row(5, "M02", nil, "人员", nil, 6, "人月", nil, nil, nil, "教师与研究生投入", "2024/4/30")
	c.row(6, "M03", nil, "设备", "12.5", nil, nil, nil, "市场价", "M01", "电化学工作站", date(2024, 5, 20), strings.ToUpper(sha1))
	c.merge("B4", "B6")
	c.row(7, "M04", "P02", "设施", nil, 120, "机时", 800, "市场价格", nil, "中试车间", "2024-08-01")
	c.row(8, "M01", nil, "现金", 123.456789, nil, nil, nil, nil, nil, "联盟公共经费", date(2024, 9, 10))
	c.row(9, "合计", nil, nil, 285.956789)
	c.blankRows("A10", "L11")

	o := newSheet(x, "知识产权")
	o.row(1, "成果编号", "成果类型", "名称", "申请号/登记号", "权利人及份额(%)", "发明人", "项目编号", "申请日期", "凭证SHA256", "凭证链接")
	o.row(2, "A01", "发明专利", "一种固态电解质膜的制备方法", "CN202410123456.7", "M01:60；M02:40", "张三、李四", "P01", "2024-10-08")
	o.row(3, "A02", "软件著作权", "电池管理仿真软件V1.0", "2024SR123456", "M03", "王五", "P02", date(2024, 11, 20))
	o.row(4, "A03", "团体标准", "固态电池术语", "T/CIAPS 0001-2024", "M01、M02、M03", nil, nil, "2024年12月1日", sha2, "https://example.org/std/0001.pdf")

	f := newSheet(x, "经费")
	f.row(1, "经费来源", "付款方", "成员编号", "金额(万元)", "项目编号", "文号", "到账日期")
	f.row(2, "政府资助", "江苏省科学技术厅", nil, 500, "P01", "苏科计〔2024〕12号", "2024-03-05")
	f.row(3, "配套资金", "江苏动力电池创新中心有限公司", "M01", 100, "P01", nil, date(2024, 4, 1))
	f.row(4, "会费", nil, "M04", 5, nil, nil, "2024/6/20")

	k := newSheet(x, "成本")
	k.row(1, "项目编号", "费用类别", "金额（元）", "承担单位", "说明", "发生日期")
	k.row(2, "P01", "设备费", "350,000", "M01", "涂布机", "2024-05-10")
	k.row(3, "P01", "差旅费", 12345.6, nil, "学术会议差旅", date(2024, 6, 15))
	k.row(4, "P02", "材料费", "8.8万", "M03", "正极前驱体", "2024年9月1日")
	for _, s := range []*sheet{s, a, p, c, o, f, k} {
		if s.err != nil {
			return fmt.Errorf("sheet %s: %w", s.name, s.err)
		}
	}
	return nil
}

// genEN writes the same alliance with English sheet names, headers and
// values, ISO dates, amounts with separators and a currency sign, the
// agreement in one row, and an amount column in 10k CNY.
func genEN(x *excelize.File) error {
	s := newSheet(x, "Members")
	s.row(1, "member id", "name", "English name", "kind", "role", "credit code", "date admitted")
	s.row(2, "M01", "江苏动力电池创新中心有限公司", "Jiangsu Power Battery Innovation Center Co., Ltd.", "enterprise", "chair", "91320100MA1N2K3L4P", "2024-01-15")
	s.row(3, "M02", "东南大学", "Southeast University", "University", "Vice Chair", nil, date(2024, 1, 15))
	s.row(4, "M03", "中国科学院物理研究所", "Institute of Physics, CAS", "research institute", "council", nil, "2024-03-01")
	s.row(5, "M04", "苏州锂电装备有限公司", nil, "enterprise", "ordinary", "91320500MA1P2Q3R4T", date(2024, 6, 18))
	s.row(7, "", "", "")
	s.blankRows("A6", "G9")

	a := newSheet(x, "Agreement")
	a.row(1, "title", "effective date", "distribution method", "allowed methods", "factor weights", "kind weights", "risk rule",
		"risk coefficients", "IP ownership", "signatories", "person-month rate enterprise", "person-month rates")
	a.row(2, "长三角动力电池产业技术创新战略联盟协议", "2024-02-01", "multifactor-shapley", "proportional, shapley",
		"investment:40%; risk:30%; innovation:20%; effort:10%", "cash:1, equipment:0.9", "contribution",
		"cash:1; personnel:1/2", "by-contribution", "M01,M02,M03", "30,000.00", "university:20000; research-institute:25000")

	p := newSheet(x, "Projects")
	p.row(1, "project", "name", "lead", "participants (10k CNY)", "start", "planned end")
	p.row(2, "P01", "固态电解质中试线", "M01", "M01:500, M02:120, M03:80", date(2024, 3, 1), date(2026, 2, 28))
	p.row(3, "P02", "高镍正极材料", "M03", "M03:300, M04", "2024-07-01")

	c := newSheet(x, "Contributions")
	c.row(1, "member", "project", "kind", "value", "quantity", "unit", "unit value", "valuation", "counterparty", "description", "date", "evidence sha256")
	c.row(2, "M01", "P01", "cash", "1,500,000.00", nil, nil, nil, nil, nil, "首期经费", "2024-03-15")
	c.row(3, "M02", "P01", "personnel", nil, "6", "person-months", nil, nil, nil, "教师与研究生投入", date(2024, 4, 30))
	c.row(4, "M03", "P01", "equipment", "¥125,000", nil, nil, nil, "market price", "M01", "电化学工作站", "2024-05-20", sha1)
	c.row(5, "M04", "P02", "facility", nil, 120, "machine-hours", "800.00", "market-price", nil, "中试车间", date(2024, 8, 1))
	c.row(6, "M01", nil, "Cash", "1,234,567.89", nil, nil, nil, nil, nil, "联盟公共经费", "2024-09-10")

	o := newSheet(x, "IP")
	o.row(1, "asset", "type", "title", "number", "owners", "inventors", "project", "date filed", "evidence sha256", "evidence uri")
	o.row(2, "A01", "patent-invention", "一种固态电解质膜的制备方法", "CN202410123456.7", "M01:3/5; M02:2/5", "张三; 李四", "P01", "2024-10-08")
	o.row(3, "A02", "software copyright", "电池管理仿真软件V1.0", "2024SR123456", "M03:100%", "王五", "P02", "2024-11-20")
	o.row(4, "A03", "standard-group", "固态电池术语", "T/CIAPS 0001-2024", "M01; M02; M03", nil, nil, date(2024, 12, 1), sha2, "https://example.org/std/0001.pdf")

	f := newSheet(x, "Funding")
	f.row(1, "source", "payer", "member", "amount (10k CNY)", "project", "reference", "date received")
	f.row(2, "government grant", "江苏省科学技术厅", nil, 500, "P01", "苏科计〔2024〕12号", "2024-03-05")
	f.row(3, "matching funds", "江苏动力电池创新中心有限公司", "M01", "100", "P01", nil, "2024-04-01")
	f.row(4, "member dues", nil, "M04", 5, nil, nil, date(2024, 6, 20))

	k := newSheet(x, "Costs")
	k.row(1, "project", "category", "amount", "borne by", "description", "date")
	k.row(2, "P01", "equipment", 350000, "M01", "涂布机", "2024-05-10")
	k.row(3, "P01", "travel", "12,345.60", nil, "学术会议差旅", "2024-06-15")
	k.row(4, "P02", "materials", "88,000.00", "M03", "正极前驱体", date(2024, 9, 1))
	for _, s := range []*sheet{s, a, p, c, o, f, k} {
		if s.err != nil {
			return fmt.Errorf("sheet %s: %w", s.name, s.err)
		}
	}
	return nil
}

// genErrors writes a workbook with problems in most sheets.
func genErrors(x *excelize.File) error {
	u := newSheet(x, "Sheet2")
	u.row(1, "随便写写")

	s := newSheet(x, "成员单位")
	s.row(1, "成员编号", "单位名称", "单位类型", "联盟职务", "统一社会信用代码", "入盟日期")
	s.row(2, "M01", "甲公司", "企业", "理事长", nil, "2024-01-15")
	s.row(3, "M 02", nil, "公司企业", "理事长", nil, "2024-02-30")
	s.row(4, "M03", "丙大学", "高校", "成员", "12345", "2024-03-01")

	a := newSheet(x, "协议条款")
	a.row(1, "条款", "内容")
	a.row(2, "协议名称", "某联盟协议")
	a.row(3, "生效日期", "2024-13-01")
	a.row(4, "利益分配方式", "平均分配")
	a.row(5, "违约责任", "赔偿损失")

	p := newSheet(x, "项目")
	p.row(1, "项目编号", "项目名称", "牵头单位", "参与单位及预算", "开始日期", "计划结束日期")
	p.row(2, "P01", "项目一", "M01", "M01:五百万; M02:100万", "2024-03-01")
	p.row(3, "P02", "项目二", "M09", "M01:100万", "2024-03-01", "2024-01-01")

	c := newSheet(x, "投入")
	c.row(1, "投入明细")
	c.merge("A1", "E1")
	c.row(2, "成员编号", "项目编号", "投入类型", "金额", "投入日期")
	c.row(3, "M01", "P01", "黄金", 100, "2024-03-01")
	c.row(4, "M02", "P01", "现金", "12.345", nil)
	c.row(5, "M03", nil, "现金", nil, "2024-03-01")
	c.row(6, "M01", "P01", "现金", 50, "2024-04-01")
	c.row(7, "M02", "P01", "现金", nil, "2024-04-02")
	c.merge("D6", "D7")

	o := newSheet(x, "知识产权")
	o.row(1, "成果编号", "成果类型", "名称", "权利人及份额", "申请日期")
	o.row(2, "A01", "专利", "名称一", "M01:60%; M02:40%", "2024-05-01")
	o.row(3, "A02", "发明专利", "名称二", "M01:60%; M02:30%", "2024-05-01")
	o.row(4, "A03", "论文", "名称三", "M01:20%; M02", "2024-05-01")
	o.row(5, "A04", "论文", "名称四", "M01:150%", "2099-01-01")

	f := newSheet(x, "经费")
	f.row(1, "经费来源", "付款方", "金额", "到账日期", "银行账号")
	f.row(2, "会费", "某公司", 1000, "2024-01-01", "6222020200112233")
	f.row(3, "政府资助", "省科技厅", -5, "2024-01-01")

	k := newSheet(x, "成本")
	k.row(1, "项目编号", "金额", "发生日期")
	k.row(2, "P01", 100, "2024-01-01")
	k.row(3, "P01", "abc", "2024-01-01")

	a2 := newSheet(x, "协议")
	a2.row(1, "条款", "内容")
	a2.row(2, "协议名称", "第二份协议")
	for _, s := range []*sheet{u, s, a, p, c, o, f, k, a2} {
		if s.err != nil {
			return fmt.Errorf("sheet %s: %w", s.name, s.err)
		}
	}
	return nil
}

// csvFiles are the sample alliance as CSV files, one per kind, in the
// forms Excel and other tools save them: members with a BOM and CRLF
// (added by generate), 投入.csv in GB18030 (generate encodes it) with a
// value spanning lines and an empty line, projects tab-separated, costs
// semicolon-separated.
var csvFiles = map[string]string{
	"members-2024.csv": `No.,member,name,name_en,kind,role,credit code,date admitted
1,M01,江苏动力电池创新中心有限公司,"Jiangsu Power Battery Innovation Center Co., Ltd.",企业 enterprise,理事长 chair,91320100MA1N2K3L4P,2024-01-15
2,M02,东南大学,Southeast University,university,vice-chair,,2024/1/15
3,M03,中国科学院物理研究所,"Institute of Physics, CAS",research-institute,council,,2024.3.1
4,M04,苏州锂电装备有限公司,,enterprise,ordinary,91320500MA1P2Q3R4T,20240618
,,,,,,,
`,
	"协议条款.csv": `条款,值
协议名称,长三角动力电池产业技术创新战略联盟协议
生效日期,2024年2月1日
利益分配方式,multifactor-shapley
可选分配方式,"proportional, shapley"
修正因素权重,"investment:0.4; risk:0.3; innovation:0.2; effort:0.1"
投入类型权重,"cash:1; equipment:0.9"
风险分担方式,contribution
风险系数,"cash:1; personnel:0.5"
知识产权归属,by-contribution
签署成员,"M01, M02, M03"
人月费率,"enterprise:3万; university:2万; research-institute:2.5万"
`,
	"projects.tsv": "项目编号 project\t项目名称 name\t牵头单位 lead\t参与单位及预算 participants\t开始日期 start\t计划结束日期 planned end\n" +
		"P01\t固态电解质中试线\tM01\tM01:500万; M02:120万; M03:80万\t2024-03-01\t2026-02-28\n" +
		"P02\t高镍正极材料\tM03\tM03:3,000,000; M04\t2024-07-01\t\n",
	"投入.csv": `成员编号,项目编号,投入类型,金额,数量,计量单位,单价,作价方式,确认单位,说明,投入日期,凭证SHA256,备注
M01,P01,现金,150万,,,,,,首期经费,2024-03-15,,
M02,P01,人员,,6,人月,,,,教师与研究生投入,2024-04-30,,"两名教师
四名研究生"
M03,P01,设备,"125,000.00",,,,市场价,M01,电化学工作站,2024-05-20,` + sha1 + `,

M04,P02,设施,,120,台时,800,市场价格,,中试车间,2024-08-01,,
M01,,现金,"1,234,567.89",,,,,,联盟公共经费,2024-09-10,,
`,
	"ip.csv": `asset,type,title,number,owners,inventors,project,date filed,evidence sha256,evidence uri
A01,patent-invention,一种固态电解质膜的制备方法,CN202410123456.7,"M01:60%, M02:40%","张三, 李四",P01,2024-10-08,,
A02,软件著作权,电池管理仿真软件V1.0,2024SR123456,M03:1,王五,P02,2024-11-20,,
A03,团体标准 standard-group,固态电池术语,T/CIAPS 0001-2024,"M01, M02, M03",,,2024-12-01,` + sha2 + `,https://example.org/std/0001.pdf
`,
	"经费.csv": `经费来源,付款方,成员编号,金额（万元）,项目编号,文号,到账日期
政府资助,江苏省科学技术厅,,500,P01,苏科计〔2024〕12号,2024-03-05
配套资金,江苏动力电池创新中心有限公司,M01,100,P01,,2024-04-01
会费,,M04,5,,,2024-06-20
合计,,,605,,,
`,
	"costs.csv": `project;category;amount;borne by;description;date
P01;equipment;350000;M01;涂布机;2024-05-10
P01;差旅费;12345.60;;学术会议差旅;2024-06-15
P02;materials;"88,000.00";M03;正极前驱体;2024-09-01
`,
}
