package sample

import (
	"math/rand/v2"
)

// All unit names below are invented: they read like Chinese alliance members
// but name no real company, university or institute, and the credit codes
// are random (with a correct GB 32100 check character), not real ones.

// member is one member unit of the sample alliance.
type member struct {
	id, name, nameEN, kind, role string
	// codePrefix is the registration authority and unit category of the
	// unified social credit code ("91" company, "12" public institution,
	// "51" social group, "52" private non-enterprise unit), region its
	// 6-digit administrative division; an empty prefix means the secretariat
	// did not record a code.
	codePrefix, region  string
	admitDay, departDay int // departDay < 0: stays to the end
}

const (
	custodian = "M01" // 依托单位: the university that keeps the office and the money
	chair     = "M02" // 理事长单位
)

// roster lists the members in the order they are admitted. M13 joins in
// year 2, M11 withdraws in year 3.
var roster = []member{
	{id: "M01", name: "沪宁理工大学", nameEN: "Huning University of Technology", kind: "university", role: "vice-chair", codePrefix: "12", region: "320500", departDay: -1},
	{id: "M02", name: "苏锂动力电池股份有限公司", nameEN: "Suli Power Battery Co., Ltd.", kind: "enterprise", role: "chair", codePrefix: "91", region: "320500", departDay: -1},
	{id: "M03", name: "长三角先进储能技术研究院", nameEN: "Yangtze Delta Institute of Advanced Energy Storage Technology", kind: "research-institute", role: "vice-chair", codePrefix: "52", region: "320200", departDay: -1},
	{id: "M04", name: "浙江澄源新材料科技有限公司", nameEN: "Zhejiang Chengyuan New Materials Technology Co., Ltd.", kind: "enterprise", role: "council", codePrefix: "91", region: "330200", departDay: -1},
	{id: "M05", name: "安徽启航新能源汽车有限公司", nameEN: "Anhui Qihang New Energy Vehicle Co., Ltd.", kind: "enterprise", role: "council", codePrefix: "91", region: "340100", departDay: -1},
	{id: "M06", name: "上海锐驰电池管理系统有限公司", nameEN: "Shanghai Ruichi Battery Management Systems Co., Ltd.", kind: "enterprise", role: "council", codePrefix: "91", region: "310115", departDay: -1},
	{id: "M07", name: "皖江工业大学", nameEN: "Wanjiang University of Technology", kind: "university", role: "council", departDay: -1},
	{id: "M08", name: "江苏华膜隔膜材料有限公司", nameEN: "Jiangsu Huamo Separator Materials Co., Ltd.", kind: "enterprise", role: "ordinary", codePrefix: "91", region: "320400", departDay: -1},
	{id: "M09", name: "浙东电化学研究所", nameEN: "Zhedong Institute of Electrochemistry", kind: "research-institute", role: "ordinary", departDay: -1},
	{id: "M10", name: "长三角动力电池检测认证中心", nameEN: "Yangtze Delta Power Battery Testing and Certification Centre", kind: "other", role: "ordinary", codePrefix: "12", region: "320100", departDay: -1},
	{id: "M11", name: "苏州循源再生资源有限公司", nameEN: "Suzhou Xunyuan Renewable Resources Co., Ltd.", kind: "enterprise", role: "ordinary", codePrefix: "91", region: "320500", departDay: dayM11Departs},
	{id: "M12", name: "长三角新能源汽车产业协会", nameEN: "Yangtze Delta New Energy Vehicle Industry Association", kind: "other", role: "ordinary", codePrefix: "51", region: "310000", departDay: -1},
	{id: "M13", name: "宁波极储智能装备有限公司", nameEN: "Ningbo Jichu Intelligent Equipment Co., Ltd.", kind: "enterprise", role: "ordinary", codePrefix: "91", region: "330200", admitDay: dayM13Admitted, departDay: -1},
}

func memberByID(id string) *member {
	for i := range roster {
		if roster[i].id == id {
			return &roster[i]
		}
	}
	panic("sample: unknown member " + id)
}

// activeOn reports whether the member belongs to the alliance on day d.
func (m *member) activeOn(d int) bool {
	return d >= m.admitDay && (m.departDay < 0 || d < m.departDay)
}

// creditCodeChars are the characters of a unified social credit code in the
// order of their values (GB 32100-2015: no I, O, S, V, Z).
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCode returns a syntactically valid unified social credit code:
// the 2-character prefix, the 6-digit region, a random 9-character
// organisation code and the GB 32100 check character.
func creditCode(rng *rand.Rand, prefix, region string) string {
	b := []byte(prefix + region)
	for range 9 {
		b = append(b, creditCodeChars[rng.IntN(len(creditCodeChars))])
	}
	sum := 0
	for i, c := range b {
		v := 0
		for j := range len(creditCodeChars) {
			if creditCodeChars[j] == c {
				v = j
			}
		}
		sum += v * creditCodeWeights[i]
	}
	check := (31 - sum%31) % 31
	return string(append(b, creditCodeChars[check]))
}

var (
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
	givenNames = []string{
		"伟", "芳", "敏", "静", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "霞", "刚", "晨", "宇", "浩然",
		"欣怡", "子涵", "思远", "建国", "志强", "海燕", "文博", "一鸣", "立新", "晓东", "雨萱", "嘉怡", "俊杰",
		"鹏", "博", "凯", "琳", "婷", "雪", "颖", "辉", "斌", "宁", "健", "峰", "振华", "国栋", "亚楠", "梦瑶",
		"天宇", "晓峰", "丽君", "慧敏", "泽宇", "诗涵", "建平", "卫东", "春燕", "少华", "永强", "佳琪", "明轩",
	}
)

// researchers gives every member a small team of named researchers, who
// appear as inventors and authors of its filings.
func researchers(rng *rand.Rand) map[string][]string {
	out := make(map[string][]string, len(roster))
	seen := map[string]bool{}
	for _, m := range roster {
		var team []string
		for len(team) < 6 {
			n := string(surnames[rng.IntN(len(surnames))]) + givenNames[rng.IntN(len(givenNames))]
			if seen[n] {
				continue
			}
			seen[n] = true
			team = append(team, n)
		}
		out[m.id] = team
	}
	return out
}
