package api

import (
	"time"
	"unicode/utf8"

	"github.com/alliance-ledger/alliance/ledger"
)

// Recording a contribution is the write members make most, and decoding
// its body with encoding/json (strictly: unknown members refused) cost
// about 14 µs of a request's CPU. fastContribution reads the usual body in
// one pass, without reflection.
//
// The rule it lives by, as the ledger's own fast decoders: for any body it
// either returns exactly what the general path returns, or gives up (ok
// false) and lets the general path decide, errors included. It gives up on
// anything it does not fully understand: a member named otherwise than
// exactly (encoding/json matches names case-insensitively) or twice
// (encoding/json keeps the last), null, strings with escapes, control
// characters or invalid UTF-8, amounts that are not plain integers in
// range, trailing data. FuzzTimedPayload holds it to the rule.

// contributionMembers are the members of a contribution.recorded body,
// the payload's and occurred_at.
var contributionMembers = []string{"member", "project", "kind", "value", "quantity", "unit", "unit_value",
	"valuation", "counterparty", "description", "evidence", "occurred_at"}

var (
	moneyMembers    = []string{"amount", "currency"}
	evidenceMembers = []string{"sha256", "uri", "title"}
)

func fastContribution(body []byte) (ledger.Command, bool) {
	r := plainReader{b: body}
	p := &ledger.ContributionRecorded{}
	var at time.Time
	ok := r.object(contributionMembers, func(k int) bool {
		switch k {
		case 0:
			return r.str(&p.Member)
		case 1:
			return r.str(&p.Project)
		case 2:
			return r.str(&p.Kind)
		case 3:
			return r.money(&p.Value)
		case 4:
			// A quantity is an exact number in a string: Ratio.UnmarshalJSON
			// unquotes it (a plain string is its bytes) and parses it.
			var s string
			if !r.str(&s) {
				return false
			}
			q, err := ledger.ParseRatio(s)
			if err != nil {
				return false
			}
			p.Quantity = &q
			return true
		case 5:
			return r.str(&p.Unit)
		case 6:
			m := new(ledger.Money)
			p.UnitValue = m
			return r.money(m)
		case 7:
			return r.str(&p.Valuation)
		case 8:
			return r.str(&p.Counterparty)
		case 9:
			return r.str(&p.Description)
		case 10:
			e := new(ledger.Evidence)
			p.Evidence = e
			return r.object(evidenceMembers, func(k int) bool {
				switch k {
				case 0:
					return r.str(&e.SHA256)
				case 1:
					return r.str(&e.URI)
				default:
					return r.str(&e.Title)
				}
			})
		case 11:
			start := r.i
			var s string
			return r.str(&s) && at.UnmarshalJSON(r.b[start:r.i]) == nil
		}
		return false
	})
	r.space()
	if !ok || r.i != len(r.b) {
		return ledger.Command{}, false
	}
	return ledger.Command{Type: ledger.TypeContributionRecorded, OccurredAt: at, Payload: p}, true
}

// plainReader reads the plain JSON fastContribution understands.
type plainReader struct {
	b []byte
	i int
}

func (r *plainReader) space() { r.i = skipSpace(r.b, r.i) }

func (r *plainReader) char(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object whose members are among names, each at most once,
// calling member with the index of each name, positioned at its value.
func (r *plainReader) object(names []string, member func(k int) bool) bool {
	if !r.char('{') {
		return false
	}
	if r.char('}') {
		return true
	}
	var seen uint64 // names has fewer than 64 members
	for {
		r.space()
		var name string
		if !r.str(&name) {
			return false
		}
		k := -1
		for j, n := range names {
			if n == name {
				k = j
				break
			}
		}
		if k < 0 || seen&(1<<k) != 0 || !r.char(':') {
			return false
		}
		seen |= 1 << k
		r.space()
		if !member(k) {
			return false
		}
		if r.char('}') {
			return true
		}
		if !r.char(',') {
			return false
		}
	}
}

// str reads a string without escapes or control characters, in valid
// UTF-8 (encoding/json would replace invalid bytes).
func (r *plainReader) str(s *string) bool {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return false
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			if !utf8.Valid(r.b[start:j]) {
				return false
			}
			*s = string(r.b[start:j])
			r.i = j + 1
			return true
		case c == '\\' || c < 0x20:
			return false
		}
	}
	return false
}

// money reads {"amount": integer, "currency": string}, in either order.
func (r *plainReader) money(m *ledger.Money) bool {
	return r.object(moneyMembers, func(k int) bool {
		if k == 1 {
			return r.str(&m.Currency)
		}
		return r.int64(&m.Amount)
	})
}

// int64 reads an integer as JSON writes it (no leading zeros, fraction or
// exponent) that fits in an int64.
func (r *plainReader) int64(n *int64) bool {
	j, neg := r.i, false
	if j < len(r.b) && r.b[j] == '-' {
		neg = true
		j++
	}
	start := j
	var u uint64
	for ; j < len(r.b) && r.b[j] >= '0' && r.b[j] <= '9'; j++ {
		if j-start >= 18 { // past 18 digits an int64 may overflow: let the general path decide
			return false
		}
		u = u*10 + uint64(r.b[j]-'0')
	}
	if j == start || (r.b[start] == '0' && j-start > 1) {
		return false
	}
	if j < len(r.b) && (r.b[j] == '.' || r.b[j] == 'e' || r.b[j] == 'E') {
		return false
	}
	if neg {
		*n = -int64(u)
	} else {
		*n = int64(u)
	}
	r.i = j
	return true
}
