package ledger

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is the reference: encoding/json without HTML escaping, and
// without the fast path (a plain struct copy has no appendJSON).
func encodingJSON(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// contributionJSON mirrors ContributionRecorded field for field, without
// its methods, so encoding/json takes the reflective path.
type contributionJSON ContributionRecorded

func FuzzContributionJSON(f *testing.F) {
	f.Add("M01", "P1", "cash", int64(150000000), "CNY", "", "", int64(0), "declared", "M02", "首期资金 <&> \"quoted\"\n", "9f86", "", "title")
	f.Add("M02", "", "personnel", int64(1), "USD", "12.5", "person-month", int64(2500000), "agreement-rate", "M01", "\u2028\x01\xff", "", "https://x/y?a=1&b=2", "")
	f.Add("", "", "", int64(-5), "", "1/3", "h", int64(-1), "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, member, project, kind string, amount int64, currency, quantity, unit string, unitAmount int64, valuation, counterparty, description, sha, uri, title string) {
		p := ContributionRecorded{Member: member, Project: project, Kind: kind, Value: Money{amount, currency}, Unit: unit,
			Valuation: valuation, Counterparty: counterparty, Description: description}
		if q, err := ParseRatio(quantity); err == nil {
			p.Quantity = &q
		}
		if unitAmount != 0 {
			p.UnitValue = &Money{unitAmount, currency}
		}
		if sha != "" || uri != "" || title != "" {
			p.Evidence = &Evidence{SHA256: sha, URI: uri, Title: title}
		}
		got, err := marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		want := encodingJSON(t, (*contributionJSON)(&p))
		if !bytes.Equal(got, want) {
			t.Fatalf("fast encoder differs from encoding/json:\nfast %s\njson %s", got, want)
		}
	})
}

func FuzzEventHead(f *testing.F) {
	f.Add([]byte(`{"id":"0190a1b2-0000-7000-8000-000000000001","seq":12,"type":"member.admitted","v":1,"alliance":"ev","aggregate":"member/M01","payload":{}}`))
	f.Add([]byte(`{"id":"x","seq":012,"type":"t","v":1,"alliance":"ev"}`))
	f.Add([]byte(`{"id":"x\"","seq":1,"type":"t","v":1,"alliance":"ev"}`))
	f.Add([]byte(`{"alliance":"b","seq":3,"id":"x"}`))
	f.Add([]byte(`{"id":"x","seq":1,"type":"t","v":1,"alliance":"ev","seq":2}`))
	f.Fuzz(func(t *testing.T, e []byte) {
		seq, alliance, ok := canonicalHead(e)
		if !ok {
			return
		}
		// Whenever the fast path answers, a JSON decoder must agree (for
		// the members it read; duplicates later in the object are the
		// reader's problem, as with any JSON).
		var head struct {
			Seq      uint64 `json:"seq"`
			Alliance string `json:"alliance"`
		}
		dec := json.NewDecoder(bytes.NewReader(e))
		if err := dec.Decode(&head); err != nil {
			return // the fast path read a valid head of an invalid object: Validate's caller decodes the rest
		}
		if head.Seq != seq || head.Alliance != alliance {
			// encoding/json keeps the last duplicate; the fast path the first.
			if !bytes.Contains(e[1:], []byte(`"seq"`)) {
				t.Fatalf("fast head (%d, %q) differs from JSON (%d, %q)", seq, alliance, head.Seq, head.Alliance)
			}
		}
	})
}
