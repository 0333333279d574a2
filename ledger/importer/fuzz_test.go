package importer_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/importer"
)

// splitCSV reads one CSV line into cells, or splits on commas when it is
// not valid CSV: the fuzzer's bytes are rows either way.
func splitCSV(s string) []string {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return strings.Split(s, ",")
	}
	return rec
}

// FuzzParseRecord: the row parser never panics, whatever the header and
// the cells; its problems are RowErrors with a reason (Sheet and Row left
// to the caller); and a row it accepts is a command the ledger accepts:
// it validates and survives a JSON round trip. Seeds are the template's
// headers and example rows, and inputs found by fuzzing, in
// testdata/fuzz/FuzzParseRecord.
func FuzzParseRecord(f *testing.F) {
	for i, kind := range importer.Kinds {
		var names []string
		for _, c := range importer.Columns(kind) {
			names = append(names, c.ZH+" "+c.EN)
		}
		f.Add(uint8(i), strings.Join(names, ","), "")
	}
	f.Add(uint8(0), "成员编号,单位名称,单位类型,联盟职务,入盟日期", "M01,甲公司,企业,理事长,2025年3月1日")
	f.Add(uint8(2), "项目编号,项目名称,牵头单位,参与单位及预算(万元),开始日期", `P01,项目,M01,"M01:500；M02:120",2025.3.1`)
	f.Add(uint8(3), "member,kind,value,date", "M01,cash,\"1,234.50\",20250301")
	f.Add(uint8(3), "成员编号,投入类型,数量,计量单位,单价(万元),投入日期", "M02,人员,2.5,人月,3.2,2025/3/1 14:30")
	f.Add(uint8(4), "成果编号,成果类型,名称,权利人及份额(%),申请日期", "A01,发明专利,名称,M01:60；M02:40,2025-03-01")
	f.Add(uint8(5), "source,member,amount (10k CNY),date", "member dues,M01,12.5,2025-03-01T10:00:00+08:00")
	f.Add(uint8(6), "project,category,amount,date", "P01,差旅费,¥1 234.5,2025-03-01")
	f.Add(uint8(1), "title,effective date,distribution method,risk rule,ip ownership,signatories,人月费率", "协议,2025-01-01,nash,equal,filer,\"M01,M02\",enterprise:3万")
	f.Fuzz(func(t *testing.T, kindIndex uint8, header, record string) {
		kind := importer.Kinds[int(kindIndex)%len(importer.Kinds)]
		cmd, errs := importer.ParseRecord(kind, splitCSV(header), splitCSV(record), importer.Options{})
		for _, e := range errs {
			if e.Reason == "" || e.Sheet != "" || e.Row != 0 {
				t.Fatalf("malformed RowError %#v", e)
			}
			_ = e.Error()
		}
		if len(errs) > 0 {
			if cmd.Payload != nil {
				t.Fatalf("errors %v and a command %+v", errs, cmd)
			}
			return
		}
		if cmd.Payload == nil || cmd.Type != cmd.Payload.EventType() || cmd.OccurredAt.IsZero() {
			t.Fatalf("accepted row gives command %+v", cmd)
		}
		if err := cmd.Payload.Validate(); err != nil {
			t.Fatalf("accepted row does not validate: %v", err)
		}
		b, err := json.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		var back ledger.Command
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("command %s does not decode: %v", b, err)
		}
		if b2, _ := json.Marshal(back); string(b2) != string(b) {
			t.Fatalf("command changes in a round trip:\n%s\n%s", b, b2)
		}
	})
}
