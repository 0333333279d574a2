package ledger

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// isID reports whether id matches ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$.
// Written out by hand: it runs for several fields of every command.
func isID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == ':' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func validateID(field, what, id string) error {
	if id == "" {
		return invalid(field, "%s id is required", what)
	}
	if !isID(id) {
		return invalid(field, "%s id %q must be 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit", what, id)
	}
	return nil
}

func validateOptionalID(field, what, id string) error {
	if id == "" {
		return nil
	}
	return validateID(field, what, id)
}

func validateText(field string, s string, required bool, maxRunes int) error {
	if required && strings.TrimSpace(s) == "" {
		return invalid(field, "is required")
	}
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	// A string has at most as many runes as bytes: most need no count.
	if len(s) <= maxRunes {
		return nil
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return invalid(field, "is %d characters long, the limit is %d", n, maxRunes)
	}
	return nil
}

func validateEnum(field, value string, allowed []string) error {
	if value == "" {
		return invalid(field, "is required (one of %s)", strings.Join(allowed, ", "))
	}
	if !slices.Contains(allowed, value) {
		return invalid(field, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	// A table and no early exit: this runs for every piece of evidence.
	var bad byte
	for i := 0; i < len(s); i++ {
		bad |= lowerHex[s[i]]
	}
	return bad == 0
}

// lowerHex is 0 for the lowercase hex digits, 1 for any other byte.
var lowerHex = func() (t [256]byte) {
	for c := range t {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			t[c] = 1
		}
	}
	return t
}()

// Evidence points at a document that backs an entry: its SHA-256 digest and
// where to find it. The ledger stores the digest, not the document.
type Evidence struct {
	SHA256 string `json:"sha256,omitempty"`
	URI    string `json:"uri,omitempty"`
	Title  string `json:"title,omitempty"`
}

func (e *Evidence) validate(field string) error {
	if e == nil {
		return nil
	}
	if e.SHA256 == "" && e.URI == "" {
		return invalid(field, "evidence needs a sha256 digest or a uri")
	}
	if e.SHA256 != "" {
		if !isSHA256Hex(e.SHA256) {
			return invalid(field+".sha256", "must be 64 lowercase hex digits, got %q", e.SHA256)
		}
	}
	if err := validateText("uri", e.URI, false, 1000); err != nil {
		return prefixed(field, err)
	}
	if err := validateText("title", e.Title, false, 200); err != nil {
		return prefixed(field, err)
	}
	return nil
}

// Share is one member's exact share of something (an IP asset, a payout base).
type Share struct {
	Member string `json:"member"`
	Share  Ratio  `json:"share"`
}

// validateShares checks that every share is in (0, 1], members are distinct,
// and the shares sum to exactly 1.
func validateShares(field string, shares []Share) error {
	if len(shares) == 0 {
		return invalid(field, "at least one share is required")
	}
	sum := new(big.Rat)
	seen := map[string]bool{}
	for i, sh := range shares {
		f := func() string { return fmt.Sprintf("%s[%d]", field, i) } // only for an error
		if sh.Member == "" || !isID(sh.Member) {
			return validateID(f()+".member", "member", sh.Member)
		}
		if seen[sh.Member] {
			return invalid(f()+".member", "member %q is listed twice", sh.Member)
		}
		seen[sh.Member] = true
		if sh.Share.Sign() <= 0 || sh.Share.value().Cmp(ratOne) > 0 {
			return invalid(f()+".share", "share must be greater than 0 and at most 1, got %s", sh.Share)
		}
		sum.Add(sum, sh.Share.value())
	}
	if sum.Cmp(ratOne) != 0 {
		return invalid(field, "shares must sum to exactly 1 (100%%), they sum to %s", ratioOf(sum))
	}
	return nil
}

// The earliest business date the ledger accepts; older records are typos.
var earliestOccurredAt = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// maxFutureSkew is how far ahead of the server clock business time may be.
const maxFutureSkew = 24 * time.Hour

func validateOccurredAt(t, now time.Time) error {
	if t.IsZero() {
		return nil // the writer records the event as occurring when it is recorded
	}
	if t.Before(earliestOccurredAt) {
		return invalid("occurred_at", "%s is before 1980-01-01", t.Format(time.RFC3339))
	}
	if t.After(now.Add(maxFutureSkew)) {
		return invalid("occurred_at", "%s is in the future (now is %s)", t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// Date is a calendar date (YYYY-MM-DD) with no time of day, for contract
// dates such as an agreement's effective date.
type Date string

func (d Date) validate(field string, required bool) error {
	if d == "" {
		if required {
			return invalid(field, "is required (YYYY-MM-DD)")
		}
		return nil
	}
	if _, err := time.Parse(time.DateOnly, string(d)); err != nil {
		return invalid(field, "%q is not a date in YYYY-MM-DD form", string(d))
	}
	return nil
}
