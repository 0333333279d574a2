// Package importer reads an alliance's records from the Excel workbooks
// and CSV files secretariats keep, and turns each data row into a
// ledger.Command: the parsing half of `alliance import`. It checks each
// row by itself (formats, enumerations, and the payload's own Validate);
// checking rows against the ledger's state and appending them is the
// caller's job.
//
// # Sheets
//
// A workbook has one sheet per kind of record; ParseXLSX returns their
// rows in Kinds order (members, agreement, projects, contributions, ip,
// funding, costs: the order an import appends them), rows in sheet order.
// A sheet is named after its kind, in English or Chinese, or both
// ("投入 contributions"); case, spaces, '_', '-' and '.' do not matter, and
// a year, digits or brackets around the name ("2025年投入", "members-2024",
// "知识产权(2024)") and a suffix 表, 明细, 明细表, 清单, 台账, 登记, 登记表,
// 名单, 名录, 一览表, 汇总, list, sheet, register, ledger, data
// ("投入明细") are allowed:
//
//	kind           sheet names
//	members        members, member, 成员单位, 成员, 联盟成员, 成员名录, 成员名单, 成员单位名录
//	agreement      agreement, agreements, 协议条款, 协议, 联盟协议, 合作协议
//	projects       projects, project, 项目, 联合攻关项目, 项目立项, 攻关项目
//	contributions  contributions, contribution, 投入, 出资, 资源投入, 投入明细, 出资明细
//	ip             ip, ips, ip assets, intellectual property, outputs, 知识产权, 成果, 创新成果, 知识产权与成果, 知识产权与创新成果
//	funding        funding, funds, fundings, 经费, 资金, 经费来源, 资金来源, 经费到账, 到账
//	costs          costs, cost, 成本, 费用, 支出, 经费支出, 费用支出, 成本费用
//
// A sheet named README, 说明, 填表说明, 使用说明 or instructions (the
// template's documentation) is skipped; any other sheet is an error that
// names it. Several sheets of one kind are read in workbook order, except
// the agreement: a workbook holds one. A CSV file holds one kind, which
// KindOfFileName tells from its name by the same rules ("投入.csv",
// "members-2024.csv").
//
// # Headers
//
// The header is the first row at least two of whose cells name columns of
// the kind; rows above it (a title, merged across the sheet, notes) are
// skipped. When the row below the header also names columns, and nothing
// else, the header is two rows high (a group header merged over several
// columns, the columns' names below it, the other names merged down both
// rows): each column takes the lower name, or the upper where the lower is
// empty. Columns may come in any order. A header cell names a column in
// English or Chinese or both ("成员编号 member", "member 成员编号",
// "成员编号\nmember"), ignoring case, spaces, '_', '-' and '.'; text in
// brackets ((), （）, [], 【】) is the column's unit: for amounts 元, 万元,
// 千元, 亿元, 10k, 10k CNY, CNY, USD, 美元, 万美元... ("金额(万元)",
// "amount (10k CNY)", "金额（元）"), for shares (%) (bare numbers are then
// percentages); other columns ignore it ("日期(YYYY-MM-DD)"). 序号, No.,
// #, 备注, remarks, notes columns are ignored; a header that names no
// column, a column named twice and a required column missing are errors.
//
// The columns of each kind (key: English name, Chinese name, * required;
// Columns gives every accepted name and the format of each):
//
//	members        member: member 成员编号*, name: name 单位名称*, name_en: English name 英文名称,
//	               kind: kind 单位类型*, role: role 联盟职务*, credit_code: credit code 统一社会信用代码,
//	               date: date admitted 入盟日期*
//	agreement      (terms, see below) title 协议名称*, effective date 生效日期*, distribution method 利益分配方式*,
//	               allowed methods 可选分配方式, risk rule 风险分担方式*, IP ownership 知识产权归属*,
//	               signatories 签署成员*, person-month rates 人月费率, person-month rate enterprise 企业人月费率
//	               (and university 高校, research-institute 科研院所, other 其他), kind weights 投入类型权重,
//	               risk coefficients 风险系数, factor weights 修正因素权重, document sha256 协议文本SHA256,
//	               document uri 协议文本链接
//	projects       project 项目编号*, name 项目名称*, lead 牵头单位*, participants 参与单位及预算*,
//	               start 开始日期*, planned end 计划结束日期
//	contributions  member 成员编号*, project 项目编号, kind 投入类型*, value 金额, quantity 数量,
//	               unit 计量单位, unit value 单价, valuation 作价方式, counterparty 确认单位,
//	               description 说明, date 投入日期*, evidence sha256 凭证SHA256, evidence uri 凭证链接
//	ip             asset 成果编号*, type 成果类型*, title 名称*, number 申请号, owners 权利人及份额*,
//	               inventors 发明人, project 项目编号, date filed 申请日期*, evidence sha256, evidence uri
//	funding        source 经费来源*, payer 付款方, member 成员编号, amount 金额*, project 项目编号,
//	               reference 文号, date received 到账日期*, evidence sha256, evidence uri
//	costs          project 项目编号*, category 费用类别*, amount 金额*, borne by 承担单位,
//	               description 说明, date 发生日期*, evidence sha256, evidence uri
//
// Each row is one command: member.admitted, project.opened,
// contribution.recorded, ip.filed, funding.received, cost.incurred. Its
// business time (OccurredAt) is the row's date column: date admitted,
// start, date, date filed, date received. A contribution needs a value,
// or a quantity with a unit (人月 is person-month, 机时/台时 machine-hour,
// 人天/人日 person-day) and a unit value (person-months may leave it out:
// the writer values them at the agreement's rate).
//
// # The agreement
//
// The agreement sheet records the signed agreement, the first version
// (agreement.signed; amendments are recorded with `alliance record`).
// One row per version would be unreadable, so it is a key/value sheet: a
// header 条款 key | 值 value (also term/item/事项 | 内容/约定), then one term
// per row, named as the columns above ("生效日期", "risk rule",
// "人月费率（企业）"), its value beside it. Rows of unknown terms are
// errors; errors name the term's row and the term as written. The same
// terms as the columns of one row (the header row, then one data row) are
// read too. Lists of pairs are written "enterprise:3万; university:2万"
// (person-month rates), "cash:1; personnel:0.8" (kind weights, risk
// coefficients), "investment:0.4; risk:0.3; innovation:0.2; effort:0.1"
// (factor weights, required by multifactor-shapley). AHP judgements are
// not imported. The command's time is the effective date, 09:00.
//
// # Cells
//
// Enumerations are written in English or Chinese or both ("企业
// enterprise"): member kinds 企业/公司, 高校/大学/学院, 科研院所/研究院/研究所,
// 其他; roles 理事长, 副理事长, 理事, 成员/会员; contribution kinds 现金, 设备,
// 人员, 技术, 数据, 设施/场地; IP types 发明专利, 实用新型, 外观设计, 软件著作权,
// 国家标准, 行业标准, 团体标准, 论文, 新产品, 新工艺; funding sources 政府资助,
// 配套资金, 会费, 外部投资, 许可收入, 服务收入; cost categories 人员费, 设备费,
// 材料费, 测试化验加工费/服务费, 差旅费, 场地费, 间接费用/管理费, 其他费用; and
// the agreement's methods and rules (按比例, Shapley值, 风险修正Shapley,
// 多因素修正Shapley, 纳什谈判; 按投入, 按预算, 平均分担; 按贡献, 申请方, 共有均分,
// 托管方). Columns documents them all.
//
// Dates: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301, optionally
// with a time ("2025-03-01 14:30", RFC 3339 with a zone), and Excel date
// cells, converted exactly from their serial number in the workbook's
// 1900 or 1904 date system. A date is in Options.Location, at 09:00 when
// no time is given. Dates before 1980 and times more than a day ahead are
// errors.
//
// Amounts are exact: "1,234,567.89", "1234567", "1 234 567", "¥1,234.50",
// "12.5万", "12.5 万元", "1,500 USD". The unit in the cell wins over the
// header's; the currency is the cell's, else the header's, else
// Options.Currency. Decimal digits are shifted, never multiplied as
// floating point, and an amount with more decimals than its currency has
// (fen for CNY) is an error, after scaling: 12.3456万 is 123456 yuan, but
// 12.345 yuan is an error. Quantities and shares are exact rationals
// ("2.5", "1/3"). Shares: "60%", "0.6", "3/5"; owners are written
// "M02:60%; M03:40%", one owner alone owns 100%, owners without shares
// own equal shares. Participants are one column, "M02:500万; M03:300万";
// a member without a budget has 0. List items are separated by ';', '；',
// '、', '，', new lines, or ',' (a ',' between digits with three digits
// after it is a thousands separator).
//
// # Rows
//
// Rows that are entirely empty (also formatted rows with no values at the
// end of a sheet), and rows whose first cell is 合计, 总计, 小计, 共计 or
// total, are skipped. A cell merged down several rows gives each row its
// value (a project merged over its contributions); an amount merged so is
// an error, since it is a total the rows must split. Every problem is a
// RowError naming the sheet (or the CSV file's base name), the row as
// Excel shows it (0 for the whole sheet), the header as written (the term,
// on the agreement sheet) and the reason; parsing goes on to find them
// all, and File.Rows holds only the rows without problems.
//
// # Files
//
// XLSX workbooks are read with github.com/xuri/excelize/v2, the
// maintained pure-Go library for the Office Open XML formats (no cgo, no
// Excel): its streaming row iterator reads a sheet without loading it
// whole, and it writes the template, data validation included. Cells are
// read raw, not as their number format displays them, so a display format
// never rounds an amount; numbers are rounded to the 15 significant
// digits Excel shows. CSV files may be UTF-8 (with or without a BOM),
// UTF-16 with a BOM, or GB18030/GBK (Excel's "CSV" on Chinese Windows), and
// separated by ',', tab or ';'. File.Digest is the SHA-256 of the file's
// bytes, from which with the sheet and row the caller derives idempotency
// keys.
package importer
