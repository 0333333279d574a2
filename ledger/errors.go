// Package ledger holds the alliance ledger's write side: the event vocabulary,
// command validation, the Store contract and the group-commit writer.
package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// The error vocabulary shared by every layer. Check with errors.Is; the api
// package maps each to one HTTP status.
var (
	// ErrInvalid: the command or input is malformed or breaks a rule.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: a named alliance, member, project, event... does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request contradicts what is already recorded (an
	// idempotency key reused with another body, an append at a stale position).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("forbidden")
)

// FieldError names the field and the rule a command broke. It wraps one of
// the sentinel errors above (ErrInvalid unless said otherwise).
type FieldError struct {
	Field string // JSON path of the field, e.g. "payload.owners[1].share"
	Rule  string // the rule that failed, e.g. "shares must sum to 1"
	Kind  error  // ErrInvalid, ErrNotFound, ErrConflict or ErrForbidden
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Rule
	}
	return e.Field + ": " + e.Rule
}

func (e *FieldError) Unwrap() error {
	if e.Kind == nil {
		return ErrInvalid
	}
	return e.Kind
}

func invalid(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...), Kind: ErrInvalid}
}

func notFound(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...), Kind: ErrNotFound}
}

func conflict(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...), Kind: ErrConflict}
}

func forbidden(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...), Kind: ErrForbidden}
}

// prefixed returns err with its field path prefixed by p (for nested values).
func prefixed(p string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		c := *fe
		switch {
		case c.Field == "":
			c.Field = p
		case strings.HasPrefix(c.Field, "["):
			c.Field = p + c.Field
		default:
			c.Field = p + "." + c.Field
		}
		return &c
	}
	return err
}
