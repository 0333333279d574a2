package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/alliance-ledger/alliance/ledger"
)

// statusClientClosed is the status logged for a request whose client went
// away before the answer (nginx's 499).
const statusClientClosed = 499

// Problem is an RFC 9457 problem detail, with the field and the rule a
// rejected command broke.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Field     string `json:"field,omitempty"`
	Rule      string `json:"rule,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func forbidden(field, format string, args ...any) *Problem {
	rule := fmt.Sprintf(format, args...)
	return &Problem{Status: http.StatusForbidden, Title: "forbidden", Detail: rule, Field: field, Rule: rule}
}

func badRequest(field, format string, args ...any) *Problem {
	rule := fmt.Sprintf(format, args...)
	d := rule
	if field != "" {
		d = field + ": " + rule
	}
	return &Problem{Status: http.StatusBadRequest, Title: "invalid request", Detail: d, Field: field, Rule: rule}
}

func notFound(format string, args ...any) *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "not found", Detail: fmt.Sprintf(format, args...)}
}

// problemFor maps an error to its problem: the ledger's sentinels to
// their statuses, with the field and rule of a FieldError.
func problemFor(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Problem{Status: http.StatusRequestEntityTooLarge, Title: "request body too large",
			Detail: fmt.Sprintf("the body is limited to %d bytes", mbe.Limit)}
	}
	out := &Problem{Status: http.StatusInternalServerError, Title: "internal error", Detail: err.Error()}
	switch {
	case errors.Is(err, ledger.ErrInvalid):
		out.Status, out.Title = http.StatusBadRequest, "invalid request"
	case errors.Is(err, ledger.ErrNotFound):
		out.Status, out.Title = http.StatusNotFound, "not found"
	case errors.Is(err, ledger.ErrConflict):
		out.Status, out.Title = http.StatusConflict, "conflict"
	case errors.Is(err, ledger.ErrForbidden):
		out.Status, out.Title = http.StatusForbidden, "forbidden"
	case errors.Is(err, ledger.ErrClosed):
		out.Status, out.Title = http.StatusServiceUnavailable, "shutting down"
	case errors.Is(err, context.DeadlineExceeded):
		out.Status, out.Title = http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer, and it is not a
		// server error.
		out.Status, out.Title = statusClientClosed, "client closed the request"
	}
	var fe *ledger.FieldError
	if errors.As(err, &fe) {
		out.Field, out.Rule = fe.Field, fe.Rule
	}
	return out
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problemFor(err))
}

func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	p.RequestID = RequestID(r)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="alliance"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}
