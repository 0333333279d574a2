package ledger

// Internals the external tests compare against.
var (
	// DecodeEventSlow is DecodeEvent by encoding/json alone.
	DecodeEventSlow = decodeEventSlow
)

// DecodeEventFast is the fast path alone: ok is false where it gives up.
func DecodeEventFast(data []byte) (*Event, bool) { return decodeEventFast(data, false) }

// ParseRatioFast is the decoder's ParseRatio for canonical decimals.
func ParseRatioFast(s string) (Ratio, bool) { return parseRatioFast(s) }

// UnmarshalCommitSlow is UnmarshalCommit by encoding/json alone.
func UnmarshalCommitSlow(data []byte) (*Commit, error) {
	c, err := unmarshalCommitSlow(data)
	if err != nil {
		return nil, err
	}
	if err := c.checkFraming(); err != nil {
		return nil, err
	}
	return c, nil
}

// UnmarshalCommitFast is the fast path alone (framing, without checks).
func UnmarshalCommitFast(data []byte) (*Commit, bool) { return unmarshalCommitFast(data) }

// MulRound, MulRoundSmall and MulRoundBig are quantity × unit valuation and
// its two implementations.
var (
	MulRound      = mulRound
	MulRoundSmall = mulRoundSmall
	MulRoundBig   = mulRoundBig
)

// DecodeCommitFast is DecodeCommitShared's one-pass path alone: ok is false
// where it gives up.
func DecodeCommitFast(data []byte) (*Commit, []*Event, bool) { return decodeCommitFast(data) }
