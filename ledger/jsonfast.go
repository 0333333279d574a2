package ledger

import (
	"strconv"
	"unicode/utf8"
)

// Contributions are by far the most frequent events, and encoding them
// with reflection was the largest cost of an append. These encoders write
// exactly what encoding/json (without HTML escaping) writes for the same
// values; FuzzContributionJSON holds them to that.

// fastEncoder is implemented by payloads with a hand-written encoder.
type fastEncoder interface {
	appendJSON(b []byte) []byte
}

func (p *ContributionRecorded) appendJSON(b []byte) []byte {
	b, _, _ = p.appendJSONSplit(b)
	return b
}

// appendJSONSplit is appendJSON that also returns where the fields a writer
// derives (value, unit value, valuation, counterparty: see complete) start
// and end in b, so that the writer can splice the derived ones between the
// caller's encoding of the rest instead of encoding it all again.
func (p *ContributionRecorded) appendJSONSplit(b []byte) (out []byte, derivedFrom, derivedTo int) {
	b = append(b, `{"member":`...)
	b = appendJSONString(b, p.Member)
	if p.Project != "" {
		b = append(b, `,"project":`...)
		b = appendJSONString(b, p.Project)
	}
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, p.Kind)
	derivedFrom = len(b)
	b = p.appendJSONDerived(b)
	derivedTo = len(b)
	if p.Description != "" {
		b = append(b, `,"description":`...)
		b = appendJSONString(b, p.Description)
	}
	if p.Evidence != nil {
		b = append(b, `,"evidence":`...)
		b = p.Evidence.appendJSON(b)
	}
	return append(b, '}'), derivedFrom, derivedTo
}

// appendJSONDerived appends the members from value to counterparty.
func (p *ContributionRecorded) appendJSONDerived(b []byte) []byte {
	b = append(b, `,"value":`...)
	b = p.Value.appendJSON(b)
	if p.Quantity != nil {
		b = append(b, `,"quantity":`...)
		b = appendJSONString(b, p.Quantity.String())
	}
	if p.Unit != "" {
		b = append(b, `,"unit":`...)
		b = appendJSONString(b, p.Unit)
	}
	if p.UnitValue != nil {
		b = append(b, `,"unit_value":`...)
		b = p.UnitValue.appendJSON(b)
	}
	b = append(b, `,"valuation":`...)
	b = appendJSONString(b, p.Valuation)
	b = append(b, `,"counterparty":`...)
	return appendJSONString(b, p.Counterparty)
}

func (m Money) appendJSON(b []byte) []byte {
	b = append(b, `{"amount":`...)
	b = strconv.AppendInt(b, m.Amount, 10)
	b = append(b, `,"currency":`...)
	b = appendJSONString(b, m.Currency)
	return append(b, '}')
}

func (e *Evidence) appendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := false
	field := func(name, v string) {
		if v == "" {
			return
		}
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		b = appendJSONString(b, v)
	}
	field("sha256", e.SHA256)
	field("uri", e.URI)
	field("title", e.Title)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted exactly as encoding/json does with HTML
// escaping off (a port of its appendString).
func appendJSONString(b []byte, s string) []byte {
	if plainJSONString(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainJSONString reports whether s needs no escaping at all: valid UTF-8
// without control characters, quotes, backslashes or U+2028/U+2029 (whose
// UTF-8 encodings are the only ones starting E2 80 A8/A9). Most names and
// descriptions, Chinese ones included, are plain.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			return false
		}
	}
	return utf8.ValidString(s)
}
