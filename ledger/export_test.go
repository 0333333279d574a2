package ledger

// Internals the external tests compare against.
var (
	// DecodeEventSlow is DecodeEvent by encoding/json alone.
	DecodeEventSlow = decodeEventSlow
)

// DecodeEventFast is the fast path alone: ok is false where it gives up.
func DecodeEventFast(data []byte) (*Event, bool) { return decodeEventFast(data) }

// ParseRatioFast is the decoder's ParseRatio for canonical decimals.
func ParseRatioFast(s string) (Ratio, bool) { return parseRatioFast(s) }
