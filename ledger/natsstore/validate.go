package natsstore

import (
	"bytes"
	"fmt"

	"github.com/alliance-ledger/alliance/ledger"
)

// validate refuses a commit that could not be stored faithfully: one that
// would not decode back to the same id and event bytes, so that readers would
// quarantine it after the writer was told it was stored. memstore applies the
// same rules (memstore/validate.go) so that a writer tested on it behaves
// the same in production.
func validate(c *ledger.Commit) error {
	if c == nil {
		return fmt.Errorf("nil commit: %w", ledger.ErrInvalid)
	}
	if !ledger.ValidAllianceID(c.Alliance) {
		return fmt.Errorf("commit %s: alliance id %q: %w", c.ID, c.Alliance, ledger.ErrInvalid)
	}
	if c.ID == "" || len(c.ID) > 128 {
		return fmt.Errorf("commit id %q must have 1 to 128 bytes: %w", c.ID, ledger.ErrInvalid)
	}
	for _, r := range []byte(c.ID) {
		// The id travels in a NATS header: no spaces or control characters.
		if r <= ' ' || r >= 0x7f {
			return fmt.Errorf("commit id %q must be printable ASCII without spaces: %w", c.ID, ledger.ErrInvalid)
		}
	}
	if c.First == 0 {
		return fmt.Errorf("commit %s: positions start at 1: %w", c.ID, ledger.ErrInvalid)
	}
	if len(c.Events) == 0 {
		return fmt.Errorf("commit %s has no events: %w", c.ID, ledger.ErrInvalid)
	}
	back, err := ledger.UnmarshalCommit(ledger.MarshalCommit(c))
	if err != nil {
		return fmt.Errorf("commit %s: %v: %w", c.ID, err, ledger.ErrInvalid)
	}
	if back.ID != c.ID {
		return fmt.Errorf("commit id %q does not survive encoding: %w", c.ID, ledger.ErrInvalid)
	}
	for i, e := range back.Events {
		if !bytes.Equal(e, c.Events[i]) {
			return fmt.Errorf("commit %s: event %d does not read back byte for byte (surrounding whitespace?): %w", c.ID, i, ledger.ErrInvalid)
		}
	}
	return nil
}
