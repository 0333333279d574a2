package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/export"
)

const alliance = "battery"

var start = time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)

var (
	sampleOnce  sync.Once
	sampleModel *projections.Model
	sampleErr   error
)

// model is the sample alliance folded from an in-memory log, built once.
func model(t *testing.T) *projections.Model {
	t.Helper()
	sampleOnce.Do(func() {
		ctx := context.Background()
		s := memstore.New()
		w := ledger.NewWriter(s, ledger.WriterOptions{})
		defer w.Close()
		if _, sampleErr = w.AppendInOrder(ctx, sample.Requests(alliance, start, start.AddDate(4, 0, 0)), nil); sampleErr != nil {
			return
		}
		m := projections.NewModel(alliance)
		sampleErr = s.Read(ctx, alliance, 1, func(st ledger.Stored) error {
			e, err := ledger.DecodeEvent(st.Data)
			if err != nil {
				return err
			}
			return m.Apply(e)
		})
		sampleModel = m
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleModel
}

func balances(t *testing.T) *projections.Balances {
	t.Helper()
	b, err := model(t).Balances(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a number", s)
	}
	return r
}

func column(t *testing.T, tb export.Table, name string) int {
	t.Helper()
	for i, h := range tb.Header {
		if strings.HasPrefix(h, name+" ") {
			return i
		}
	}
	t.Fatalf("table %s has no column %q: %q", tb.Name, name, tb.Header)
	return -1
}

var amountColumns = []string{"confirmed", "unconfirmed", "contested", "funding", "payouts", "settled", "costs", "losses", "net"}

// checkTotals checks that each TOTAL row equals the sum of the other rows
// of its currency, exactly, in every amount column, and that the text and
// the number of every amount agree.
func checkTotals(t *testing.T, tb export.Table) {
	t.Helper()
	cur := column(t, tb, "currency")
	sums := map[string][]*big.Rat{}
	totals := map[string][]export.Cell{}
	for _, r := range tb.Rows {
		c := r[cur].Text
		if r[0].Text == export.TotalLabel {
			if totals[c] != nil {
				t.Errorf("%s: two TOTAL rows for %s", tb.Name, c)
			}
			totals[c] = r
			continue
		}
		if sums[c] == nil {
			for range amountColumns {
				sums[c] = append(sums[c], new(big.Rat))
			}
		}
		for i, name := range amountColumns {
			cell := r[column(t, tb, name)]
			if cell.Number == nil || rat(t, cell.Text).Cmp(cell.Number) != 0 {
				t.Fatalf("%s: %s cell %+v: text and number differ", tb.Name, name, cell)
			}
			if !strings.Contains(cell.Text, ".") || len(cell.Text)-strings.Index(cell.Text, ".") != 3 {
				t.Errorf("%s: %s amount %q is not in yuan with 2 decimals", tb.Name, name, cell.Text)
			}
			sums[c][i].Add(sums[c][i], cell.Number)
		}
	}
	if len(totals) == 0 || len(totals) != len(sums) {
		t.Fatalf("%s: TOTAL rows for %d currencies, rows for %d", tb.Name, len(totals), len(sums))
	}
	for c, tot := range totals {
		for i, name := range amountColumns {
			got := tot[column(t, tb, name)]
			if rat(t, got.Text).Cmp(sums[c][i]) != 0 || got.Number.Cmp(sums[c][i]) != 0 {
				t.Errorf("%s: TOTAL %s %s is %s, the rows sum to %s", tb.Name, c, name, got.Text, sums[c][i].FloatString(2))
			}
		}
	}
}

func TestBalancesTotals(t *testing.T) {
	b := balances(t)
	tables := export.Balances(b)
	if len(tables) != 2 || tables[0].Name != "balances" || tables[1].Name != "balances-by-project" {
		t.Fatalf("tables %v", names(tables))
	}
	commons := 0
	for _, tb := range tables {
		checkTotals(t, tb)
		for _, r := range tb.Rows {
			if len(r) != len(tb.Header) {
				t.Fatalf("%s: row of %d cells, header of %d", tb.Name, len(r), len(tb.Header))
			}
			if r[0].Text == export.CommonLabel {
				commons++
			}
		}
	}
	if commons == 0 {
		t.Error("no common rows")
	}
	// The member rows are the view's, converted exactly.
	for _, r := range tables[0].Rows {
		if r[0].Text != b.Members[0].Member {
			continue
		}
		a := b.Members[0].Totals[0]
		want := new(big.Rat).SetFrac64(a.Net, 100)
		if got := r[column(t, tables[0], "net")]; got.Number.Cmp(want) != 0 || got.Text != want.FloatString(2) {
			t.Errorf("net of %s: %+v, want %s", r[0].Text, got, want.FloatString(2))
		}
		return
	}
	t.Errorf("no row for %s", b.Members[0].Member)
}

// TestBalancesPeriod: over a business period the TOTAL rows still equal
// the member rows plus common, and the title gives the period.
func TestBalancesPeriod(t *testing.T) {
	from, to := start.AddDate(1, 0, 0), start.AddDate(3, 0, 0)
	b, err := model(t).Balances(projections.Query{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	tables := export.Balances(b)
	for _, tb := range tables {
		checkTotals(t, tb)
	}
	if !strings.Contains(tables[0].Title, "occurred from 2023-03-01") || !strings.Contains(tables[0].Title, "成员余额") {
		t.Errorf("title %q", tables[0].Title)
	}
}

func names(tables []export.Table) []string {
	var out []string
	for _, tb := range tables {
		out = append(out, tb.Name)
	}
	return out
}

func TestStatement(t *testing.T) {
	b := balances(t)
	mb := b.Members[0]
	for _, m := range b.Members {
		if len(m.Projects) > 1 {
			mb = m
			break
		}
	}
	tables, err := export.Statement(b, mb.Member)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"statement-" + mb.Member, "statement-" + mb.Member + "-by-project", "statement-" + mb.Member + "-by-kind"}
	if got := names(tables); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("tables %v, want %v", got, want)
	}
	if len(tables[0].Rows) != len(mb.Totals) {
		t.Errorf("totals: %d rows, want %d", len(tables[0].Rows), len(mb.Totals))
	}
	checkTotals(t, tables[1])
	// By kind: the confirmed amounts of the projects sum to the TOTAL's.
	kinds := tables[2]
	sum, total := map[string]*big.Rat{}, map[string]*big.Rat{}
	conf := column(t, kinds, "confirmed")
	for _, r := range kinds.Rows {
		mp := sum
		if r[0].Text == export.TotalLabel {
			mp = total
		}
		k := r[1].Text + " " + r[2].Text
		if mp[k] == nil {
			mp[k] = new(big.Rat)
		}
		mp[k].Add(mp[k], r[conf].Number)
	}
	if len(total) == 0 || len(total) != len(sum) {
		t.Fatalf("by kind: totals %v, sums %v", total, sum)
	}
	for k, v := range total {
		if v.Cmp(sum[k]) != 0 {
			t.Errorf("by kind %s: TOTAL %s, rows %s", k, v.FloatString(2), sum[k].FloatString(2))
		}
	}

	if _, err := export.Statement(b, "NO-SUCH-MEMBER"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("unknown member: %v", err)
	}
}

func TestRiskSharesSumToOne(t *testing.T) {
	r, err := model(t).Risk(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tb := export.Risk(r)
	share, pct := column(t, tb, "share (exact)"), column(t, tb, "share %")
	sums := map[string]*big.Rat{}
	withShares := 0
	for _, row := range tb.Rows {
		p := row[0].Text
		if row[4].Text == export.TotalLabel {
			if row[share].Text == "" {
				continue // nothing at risk
			}
			withShares++
			if row[share].Text != "1" || row[pct].Text != "100.0000" {
				t.Errorf("project %s: TOTAL share %q %q", p, row[share].Text, row[pct].Text)
			}
			if sums[p] == nil || sums[p].Cmp(big.NewRat(1, 1)) != 0 {
				t.Errorf("project %s: shares sum to %v, want exactly 1", p, sums[p])
			}
			continue
		}
		if sums[p] == nil {
			sums[p] = new(big.Rat)
		}
		s := rat(t, row[share].Text) // exact: a decimal or a fraction
		if s.Cmp(row[share].Number) != 0 {
			t.Errorf("project %s: share text %q, number %s", p, row[share].Text, row[share].Number)
		}
		sums[p].Add(sums[p], s)
		if d := len(row[pct].Text) - strings.Index(row[pct].Text, "."); d != 5 {
			t.Errorf("percent %q has not 4 decimals", row[pct].Text)
		}
	}
	if withShares == 0 {
		t.Fatal("no project with shares")
	}
}

func TestOutputs(t *testing.T) {
	o, err := model(t).Outputs(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tables := export.Outputs(o)
	want := "outputs-by-type,outputs-by-status,outputs-by-period,outputs-by-project,outputs-by-member,outputs,licence-revenue"
	if got := strings.Join(names(tables), ","); got != want {
		t.Fatalf("tables %s", got)
	}
	for _, tb := range tables[:4] {
		last := tb.Rows[len(tb.Rows)-1]
		if last[0].Text != export.TotalLabel || last[1].Number.Cmp(big.NewRat(int64(o.Assets), 1)) != 0 {
			t.Errorf("%s: TOTAL %v, want %d assets", tb.Name, last, o.Assets)
		}
	}
	byMember := tables[4].Rows[len(tables[4].Rows)-1]
	if byMember[2].Number.Cmp(big.NewRat(int64(o.Assets), 1)) != 0 {
		t.Errorf("by member: weighted TOTAL %s, want %d", byMember[2].Text, o.Assets)
	}
	if len(tables[5].Rows) != len(o.Cells) {
		t.Errorf("outputs: %d rows, %d cells", len(tables[5].Rows), len(o.Cells))
	}
	rev := tables[6]
	if len(o.Revenue) == 0 || len(rev.Rows) <= len(o.Revenue) {
		t.Fatalf("licence revenue: %d rows for %d assets", len(rev.Rows), len(o.Revenue))
	}
	var sum int64
	for _, r := range o.Revenue {
		sum += r.Amount
	}
	last := rev.Rows[len(rev.Rows)-1]
	if got := last[column(t, rev, "amount")]; got.Number.Cmp(new(big.Rat).SetFrac64(sum, 100)) != 0 {
		t.Errorf("licence revenue TOTAL %s, want %d fen", got.Text, sum)
	}
}

func TestPayouts(t *testing.T) {
	m := model(t)
	tb, err := export.Payouts(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	pos, adj := column(t, tb, "payout position"), column(t, tb, "adjusts")
	payouts, adjustments := map[string]bool{}, map[string]string{}
	negative := false
	for _, r := range tb.Rows {
		if r[adj].Text == "" {
			payouts[r[pos].Text] = true
		} else {
			adjustments[r[pos].Text] = r[adj].Text
		}
		if a := r[column(t, tb, "amount")]; a.Number.Sign() < 0 {
			negative = true
		}
	}
	if len(payouts) != 2 || len(adjustments) != 1 {
		t.Fatalf("payouts %v, adjustments %v; want the sample's two payouts and one adjustment", payouts, adjustments)
	}
	for _, of := range adjustments {
		if !payouts[of] {
			t.Errorf("the adjustment adjusts %s, not a payout listed", of)
		}
	}
	if !negative {
		t.Error("the adjustment has no negative delta")
	}
	// As of a position before the first payout there is none.
	var first uint64
	for _, id := range m.PoolIDs(0) {
		p, _ := m.Pool(id, 0)
		for _, pf := range p.Payouts {
			if first == 0 || pf.Seq < first {
				first = pf.Seq
			}
		}
	}
	if tb, err := export.Payouts(m, first-1); err != nil || len(tb.Rows) != 0 {
		t.Errorf("before the first payout: %d rows, %v", len(tb.Rows), err)
	}
	if _, err := export.Payouts(m, m.Last()+1); err == nil {
		t.Error("a position beyond the log: no error")
	}
}

// allTables are every table of the sample's views.
func allTables(t *testing.T) []export.Table {
	t.Helper()
	m := model(t)
	b := balances(t)
	out := export.Balances(b)
	st, err := export.Statement(b, b.Members[0].Member)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, st...)
	r, err := m.Risk(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, export.Risk(r))
	o, err := m.Outputs(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, export.Outputs(o)...)
	p, err := export.Payouts(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, p)
}

func TestCSVRoundTrip(t *testing.T) {
	for _, tb := range allTables(t) {
		var buf bytes.Buffer
		if err := export.WriteCSV(&buf, tb); err != nil {
			t.Fatal(err)
		}
		data, ok := bytes.CutPrefix(buf.Bytes(), []byte(export.BOM))
		if !ok {
			t.Fatalf("%s: no BOM", tb.Name)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		if len(recs) != len(tb.Rows)+1 {
			t.Fatalf("%s: %d records, want %d", tb.Name, len(recs), len(tb.Rows)+1)
		}
		if strings.Join(recs[0], "|") != strings.Join(tb.Header, "|") {
			t.Errorf("%s: header %q", tb.Name, recs[0])
		}
		for i, r := range tb.Rows {
			for j, c := range r {
				if recs[i+1][j] != c.Text {
					t.Errorf("%s row %d col %d: %q, want %q", tb.Name, i, j, recs[i+1][j], c.Text)
				}
			}
		}
	}
}

func TestCSVFormulaText(t *testing.T) {
	tb := export.Table{Name: "x", Header: []string{"a", "b"}, Rows: [][]export.Cell{
		{{Text: "=HYPERLINK(\"x\")"}, {Text: "-1.50", Number: big.NewRat(-3, 2)}},
		{{Text: "名称, \"引号\"\n换行"}, {Text: "+1"}},
	}}
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, tb); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), export.BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b"}, {"'=HYPERLINK(\"x\")", "-1.50"}, {"名称, \"引号\"\n换行", "'+1"}}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestXLSX(t *testing.T) {
	tables := allTables(t)
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, tables); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if strings.Join(sheets, ",") != strings.Join(names(tables), ",") {
		t.Fatalf("sheets %v, want %v", sheets, names(tables))
	}
	raw := excelize.Options{RawCellValue: true}
	for _, tb := range tables {
		rows, err := f.GetRows(tb.Name, raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(tb.Rows)+2 || rows[0][0] != tb.Title {
			t.Fatalf("%s: %d rows, title %q", tb.Name, len(rows), rows[0])
		}
		if strings.Join(rows[1], "|") != strings.Join(tb.Header, "|") {
			t.Errorf("%s: header %q", tb.Name, rows[1])
		}
		panes, err := f.GetPanes(tb.Name)
		if err != nil || !panes.Freeze || panes.YSplit != 2 {
			t.Errorf("%s: panes %+v, %v", tb.Name, panes, err)
		}
		hs, _ := f.GetCellStyle(tb.Name, "A2")
		if st, err := f.GetStyle(hs); err != nil || st.Font == nil || !st.Font.Bold {
			t.Errorf("%s: header is not bold", tb.Name)
		}
		for i, r := range tb.Rows {
			for j, c := range r {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+3)
				typ, err := f.GetCellType(tb.Name, ref)
				if err != nil {
					t.Fatal(err)
				}
				v, _ := f.GetCellValue(tb.Name, ref, raw)
				if c.Number == nil {
					if v != c.Text || c.Text != "" && typ != excelize.CellTypeSharedString {
						t.Errorf("%s %s: %q (type %v), want text %q", tb.Name, ref, v, typ, c.Text)
					}
					continue
				}
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("%s %s: type %v, want a number", tb.Name, ref, typ)
				}
				got := rat(t, v)
				if strings.Contains(c.Text, "/") {
					// A fraction is stored to 20 places.
					diff := new(big.Rat).Sub(got, c.Number)
					if diff.Abs(diff).Cmp(big.NewRat(1, 1e18)) > 0 {
						t.Errorf("%s %s: %s, want about %s", tb.Name, ref, v, c.Text)
					}
				} else if got.Cmp(c.Number) != 0 {
					t.Errorf("%s %s: %s, want %s", tb.Name, ref, v, c.Text)
				}
			}
		}
	}

	// A few amounts read back formatted: yuan with 2 decimals.
	b := balances(t)
	bal := export.Balances(b)[0]
	net := column(t, bal, "net")
	last := bal.Rows[len(bal.Rows)-1]
	ref, _ := excelize.CoordinatesToCellName(net+1, len(bal.Rows)+2)
	v, err := f.GetCellValue("balances", ref)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ReplaceAll(v, ",", "") != last[net].Text {
		t.Errorf("balances %s shows %q, want %s", ref, v, last[net].Text)
	}
	sid, _ := f.GetCellStyle("balances", ref)
	st, err := f.GetStyle(sid)
	if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "#,##0.00" {
		t.Errorf("balances %s: number format %+v", ref, st)
	}
	w, err := f.GetColWidth("balances", "A")
	if err != nil || w < 8 {
		t.Errorf("column A width %v, %v", w, err)
	}
}

func TestXLSXSheetNames(t *testing.T) {
	long := strings.Repeat("成员对账单", 10)
	tables := []export.Table{{Name: long}, {Name: long}, {Name: "a/b:[c]"}, {Name: "A/B:[C]"}, {Name: ""}}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, tables); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{long[:31*3], long[:29*3] + "~2", "a-b--c-", "A-B--C-~2", "Sheet5"}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sheets %q, want %q", got, want)
	}
	if err := export.WriteXLSX(&buf, nil); err == nil {
		t.Error("no tables: no error")
	}
}
