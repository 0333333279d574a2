package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/payout"
)

// writeRoute maps a POST route to the event it appends. The body is the
// event's payload, with an optional "occurred_at" (RFC 3339, default now);
// path parameters fill the payload fields they name (a body that gives
// such a field another value is refused).
type writeRoute struct {
	pattern string // under /v1/alliances/{alliance}
	typ     string
	binds   []bind
}

type bind struct {
	param, field string
	number       bool // a log position
}

var writeRoutes = []writeRoute{
	{"/members", ledger.TypeMemberAdmitted, nil},
	{"/members/{member}/role", ledger.TypeMemberRoleChanged, []bind{{"member", "member", false}}},
	{"/members/{member}/departure", ledger.TypeMemberDeparted, []bind{{"member", "member", false}}},
	{"/agreements", ledger.TypeAgreementSigned, nil},
	{"/agreements/amendments", ledger.TypeAgreementAmended, nil},
	{"/projects", ledger.TypeProjectOpened, nil},
	{"/projects/{project}/participants", ledger.TypeProjectParticipants, []bind{{"project", "project", false}}},
	{"/projects/{project}/closure", ledger.TypeProjectClosed, []bind{{"project", "project", false}}},
	{"/contributions", ledger.TypeContributionRecorded, nil},
	{"/contributions/{seq}/confirmation", ledger.TypeContributionConfirmed, []bind{{"seq", "contribution", true}}},
	{"/contributions/{seq}/contest", ledger.TypeContributionContested, []bind{{"seq", "contribution", true}}},
	{"/ip", ledger.TypeIPFiled, nil},
	{"/ip/{asset}/status", ledger.TypeIPStatusChanged, []bind{{"asset", "asset", false}}},
	{"/ip/{asset}/licence-revenue", ledger.TypeIPLicenceRevenue, []bind{{"asset", "asset", false}}},
	{"/funding", ledger.TypeFundingReceived, nil},
	{"/costs", ledger.TypeCostIncurred, nil},
	{"/losses", ledger.TypeLossRealized, nil},
	{"/pools", ledger.TypePoolDeclared, nil},
	{"/pools/{pool}/assessments", ledger.TypePoolAssessed, []bind{{"pool", "pool", false}}},
	{"/payouts/{seq}/settlement", ledger.TypePayoutSettled, []bind{{"seq", "payout", true}}},
	{"/disputes", ledger.TypeDisputeRaised, nil},
	{"/entries/{seq}/reversal", ledger.TypeEntryReversed, []bind{{"seq", "entry", true}}},
	{"/entries/{seq}/correction", ledger.TypeEntryCorrected, []bind{{"seq", "entry", true}}},
	{"/evaluation/schemes", ledger.TypeEvaluationScheme, nil},
	{"/evaluation/ratings", ledger.TypeEvaluationRated, nil},
}

const alliancePath = "/v1/alliances/{alliance}"

func (s *Server) registerWrites() {
	s.handle("POST", "/v1/alliances", Write, s.foundAlliance)
	for _, wr := range writeRoutes {
		s.handle("POST", alliancePath+wr.pattern, Write, s.writeEvent(wr))
	}
	s.handle("POST", alliancePath+"/commands", Write, s.writeCommands)
	s.handle("POST", alliancePath+"/pools/{pool}/preview", Read, s.previewPayout)
	s.handle("POST", alliancePath+"/pools/{pool}/payouts", Write, s.commitPayout)
	s.handle("POST", alliancePath+"/disputes/{seq}/resolution", Write, s.resolveDispute)
}

// fastCommand decodes a body without path parameters in one pass. ok is
// false for a body with an occurred_at it cannot decode that way: the
// general path decides those, and names what is wrong.
func fastCommand(typ string, body []byte) (cmd ledger.Command, ok bool, err error) {
	if typ == ledger.TypeContributionRecorded {
		if cmd, ok := fastContribution(body); ok {
			return cmd, true, nil
		}
	}
	if !bytes.Contains(body, []byte(`"occurred_at"`)) {
		cmd, err = decodePayload(typ, body)
		return cmd, err == nil, err
	}
	cmd, err = decodeTimedPayload(typ, body)
	return cmd, err == nil, nil
}

// decodeTimedPayload decodes a body that is a payload of type typ plus an
// occurred_at member: the member is cut out of the body, the rest decoded
// strictly as the payload, the time as a time. Any error means "let the
// general path decide" (FuzzTimedPayload holds the two to the same result).
func decodeTimedPayload(typ string, body []byte) (ledger.Command, error) {
	rest, value, ok := cutMember(body, "occurred_at")
	if !ok {
		return ledger.Command{}, errors.New("not a plain object with one occurred_at")
	}
	var at *time.Time
	if err := json.Unmarshal(value, &at); err != nil {
		return ledger.Command{}, err
	}
	cmd, err := decodePayload(typ, rest)
	if err != nil {
		return ledger.Command{}, err
	}
	if at != nil {
		cmd.OccurredAt = *at
	}
	return cmd, nil
}

// cutMember finds the top-level member name of the JSON object in body and
// returns the object without it, and its value. ok is false unless body is
// an object with exactly one such member, its name written without
// escapes. It checks only the object's framing: what remains is for a
// strict decoder to check.
func cutMember(body []byte, name string) (rest, value []byte, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, nil, false
	}
	i++
	// from, to: the span to cut (the member and one comma beside it).
	from, to := -1, -1
	prevEnd := i // where the previous member (or the brace) ends
	for first := true; ; first = false {
		i = skipSpace(body, i)
		if i >= len(body) {
			return nil, nil, false
		}
		if body[i] == '}' && first {
			break
		}
		if !first {
			if body[i] == '}' {
				break
			}
			if body[i] != ',' {
				return nil, nil, false
			}
			i = skipSpace(body, i+1)
		}
		start := i
		if i >= len(body) || body[i] != '"' {
			return nil, nil, false
		}
		end := bytes.IndexByte(body[i+1:], '"')
		if end < 0 {
			return nil, nil, false
		}
		key := body[i+1 : i+1+end]
		if bytes.IndexByte(key, '\\') >= 0 {
			return nil, nil, false // an escaped name might spell the member
		}
		i = skipSpace(body, i+2+end)
		if i >= len(body) || body[i] != ':' {
			return nil, nil, false
		}
		vStart := skipSpace(body, i+1)
		vEnd, ok := skipValue(body, vStart)
		if !ok {
			return nil, nil, false
		}
		if string(key) == name {
			if from >= 0 {
				return nil, nil, false
			}
			value = body[vStart:vEnd]
			if first {
				from, to = start, -vEnd // the comma after it, found below
			} else {
				from, to = prevEnd, vEnd // the comma before it
			}
		} else if to < 0 && from >= 0 {
			to = start // the member was first: cut up to this one
		}
		prevEnd = vEnd
		i = vEnd
	}
	if from < 0 {
		return nil, nil, false
	}
	if to < 0 {
		to = -to // the only member
	}
	rest = make([]byte, 0, len(body)-(to-from))
	rest = append(append(rest, body[:from]...), body[to:]...)
	return rest, value, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i]: strings
// (with escapes), objects and arrays (brackets balanced outside strings),
// and anything else up to the next delimiter.
func skipValue(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return 0, false
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i, true
			}
			i++
		default:
			if depth == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				return i, true
			}
			i++
		}
		if depth == 0 && i > 0 && (b[i-1] == '"' || b[i-1] == '}' || b[i-1] == ']') {
			return i, true
		}
	}
	return i, depth == 0
}

// decodePayload decodes a body that is exactly a payload of type typ,
// refusing unknown fields and anything after the object.
func decodePayload(typ string, body []byte) (ledger.Command, error) {
	p, err := ledger.NewPayload(typ)
	if err != nil {
		return ledger.Command{}, err
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return ledger.Command{}, badRequest("", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return ledger.Command{}, badRequest("payload", "does not decode as %s: %v", typ, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ledger.Command{}, badRequest("", "the body must be one JSON object, with nothing after it")
	}
	return ledger.Command{Type: typ, Payload: p}, nil
}

// readObject reads a JSON object body.
func readObject(r *http.Request) (map[string]json.RawMessage, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	return parseObject(b)
}

func parseObject(b []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, badRequest("", "the body must be a JSON object: %v", err)
	}
	return m, nil
}

// popTime removes an RFC 3339 time field from the body (zero if absent).
func popTime(m map[string]json.RawMessage, field string) (time.Time, error) {
	raw, ok := m[field]
	if !ok {
		return time.Time{}, nil
	}
	delete(m, field)
	var t time.Time
	if err := json.Unmarshal(raw, &t); err != nil {
		return t, badRequest(field, "want an RFC 3339 time such as 2025-03-01T09:00:00+08:00")
	}
	return t, nil
}

// bindPath fills the payload fields named by the route's path parameters.
func bindPath(r *http.Request, m map[string]json.RawMessage, binds []bind) error {
	for _, b := range binds {
		v := r.PathValue(b.param)
		var raw json.RawMessage
		if b.number {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n == 0 {
				return badRequest(b.param, "%q is not a log position", v)
			}
			raw = json.RawMessage(strconv.FormatUint(n, 10))
		} else {
			raw, _ = json.Marshal(v)
		}
		if have, ok := m[b.field]; ok && !jsonEqual(have, raw) {
			return badRequest("payload."+b.field, "the body says %s but the path says %s", have, raw)
		}
		m[b.field] = raw
	}
	return nil
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

// command decodes a payload body into a command of type typ, strictly.
func (s *Server) command(typ string, occurredAt time.Time, m map[string]json.RawMessage) (ledger.Command, error) {
	payload, err := json.Marshal(m)
	if err != nil {
		return ledger.Command{}, err
	}
	env, _ := json.Marshal(struct {
		Type       string          `json:"type"`
		OccurredAt time.Time       `json:"occurred_at"`
		Payload    json.RawMessage `json:"payload"`
	}{typ, occurredAt, payload})
	var c ledger.Command
	if err := json.Unmarshal(env, &c); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Server) writeEvent(wr writeRoute) handlerFunc {
	return func(c *call) error {
		body, err := io.ReadAll(c.r.Body)
		if err != nil {
			return err
		}
		if len(wr.binds) == 0 {
			// The common case, a payload and perhaps its business time:
			// decode it straight into its type, as strictly as the
			// general path.
			if cmd, ok, err := fastCommand(wr.typ, body); err != nil {
				return err
			} else if ok {
				return s.submit(c, c.alliance, "", cmd)
			}
		}
		m, err := parseObject(body)
		if err != nil {
			return err
		}
		at, err := popTime(m, "occurred_at")
		if err != nil {
			return err
		}
		if err := bindPath(c.r, m, wr.binds); err != nil {
			return err
		}
		cmd, err := s.command(wr.typ, at, m)
		if err != nil {
			return err
		}
		return s.submit(c, c.alliance, "", cmd)
	}
}

// foundAlliance appends an alliance.founded to a new alliance: the body is
// its payload plus "id", and "members" (member.admitted payloads, the
// custodian's at least) admitted in the same request.
func (s *Server) foundAlliance(c *call) error {
	m, err := readObject(c.r)
	if err != nil {
		return err
	}
	var id string
	if raw, ok := m["id"]; !ok || json.Unmarshal(raw, &id) != nil {
		return badRequest("id", "the new alliance's id is required (1-63 lowercase letters, digits, '_' or '-')")
	}
	delete(m, "id")
	if !c.p.CanSee(id) {
		return forbidden("id", "the token is for alliance %q, not %q", c.p.Alliance, id)
	}
	at, err := popTime(m, "occurred_at")
	if err != nil {
		return err
	}
	// The custodian is admitted in the founding request: "members" holds
	// member.admitted payloads appended with it, atomically.
	var members []map[string]json.RawMessage
	if raw, ok := m["members"]; ok {
		if err := json.Unmarshal(raw, &members); err != nil {
			return badRequest("members", "want a list of member.admitted payloads: %v", err)
		}
		delete(m, "members")
	}
	cmd, err := s.command(ledger.TypeAllianceFounded, at, m)
	if err != nil {
		return err
	}
	cmds := []ledger.Command{cmd}
	for i, mm := range members {
		mc, err := s.command(ledger.TypeMemberAdmitted, at, mm)
		if err != nil {
			var fe *ledger.FieldError
			if errors.As(err, &fe) {
				return badRequest(fmt.Sprintf("members[%d].%s", i, strings.TrimPrefix(fe.Field, "payload.")), "%s", fe.Rule)
			}
			return err
		}
		cmds = append(cmds, mc)
	}
	rc, err := s.append(c, id, "", cmds...)
	if err != nil {
		return renameCommands(err, func(i int) string {
			if i == 0 {
				return ""
			}
			return fmt.Sprintf("members[%d].", i-1)
		})
	}
	return writeReceipt(c, rc)
}

// renameCommands renames the "commands[i]." prefix the writer gives the
// field of a multi-command request's error to what the route's body
// calls it.
func renameCommands(err error, name func(i int) string) error {
	var fe *ledger.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	var i int
	var rest string
	if n, _ := fmt.Sscanf(fe.Field, "commands[%d]", &i); n != 1 {
		return err
	}
	_, rest, _ = strings.Cut(fe.Field, "].")
	c := *fe
	c.Field = name(i) + rest
	if rest == "" {
		c.Field = strings.TrimSuffix(name(i), ".")
	}
	return &c
}

func writeReceipt(c *call, rc ledger.Receipt) error {
	status := http.StatusCreated
	if rc.Duplicate {
		status = http.StatusOK
	}
	b, ok := appendReceipt(make([]byte, 0, 128), rc)
	if !ok {
		return writeJSON(c.w, status, rc)
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, err := c.w.Write(b)
	return err
}

// appendReceipt appends rc as writeJSON writes it (encoding/json and a
// newline), without reflection: every append answers with one. ok is false
// for what it does not write the same way (an alliance id that would need
// escaping, a time encoding/json refuses), left to writeJSON.
func appendReceipt(b []byte, rc ledger.Receipt) ([]byte, bool) {
	if !ledger.ValidAllianceID(rc.Alliance) {
		return b, false
	}
	b = append(b, `{"alliance":"`...)
	b = append(b, rc.Alliance...)
	b = append(b, `","first_seq":`...)
	b = strconv.AppendUint(b, rc.First, 10)
	b = append(b, `,"last_seq":`...)
	b = strconv.AppendUint(b, rc.Last, 10)
	if !rc.RecordedAt.IsZero() {
		_, off := rc.RecordedAt.Zone()
		if y := rc.RecordedAt.Year(); y < 0 || y > 9999 || off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
			return b, false
		}
		b = append(b, `,"recorded_at":"`...)
		b = rc.RecordedAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if rc.Duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, "}\n"...), true
}

// writeCommands appends several commands atomically: {"commands": [{"type",
// "occurred_at", "payload"}, ...]}.
func (s *Server) writeCommands(c *call) error {
	var body struct {
		Commands []ledger.Command `json:"commands"`
	}
	dec := json.NewDecoder(c.r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var fe *ledger.FieldError
		var mbe *http.MaxBytesError
		if errors.As(err, &fe) || errors.As(err, &mbe) {
			return err
		}
		return badRequest("commands", "the body does not decode: %v", err)
	}
	for i, cmd := range body.Commands {
		// A payout is what the sharing methods compute from the log, with
		// its inputs: it is committed through its own route, never as
		// figures a caller supplies.
		switch cmd.Type {
		case ledger.TypePayoutCommitted:
			return badRequest(fmt.Sprintf("commands[%d].type", i), "payouts are computed by the ledger: POST /v1/alliances/%s/pools/{pool}/payouts", c.alliance)
		case ledger.TypePayoutAdjusted:
			return badRequest(fmt.Sprintf("commands[%d].type", i), "payout adjustments are computed by the ledger: POST /v1/alliances/%s/disputes/{seq}/resolution with \"adjust\": true", c.alliance)
		}
	}
	return s.submit(c, c.alliance, "", body.Commands...)
}

// submit authorises each command for the caller and appends them as one
// request; it answers with the receipt (201, or 200 for a retry).
func (s *Server) submit(c *call, alliance, defaultKey string, cmds ...ledger.Command) error {
	rc, err := s.append(c, alliance, defaultKey, cmds...)
	if err != nil {
		return err
	}
	return writeReceipt(c, rc)
}

func (s *Server) append(c *call, alliance, defaultKey string, cmds ...ledger.Command) (ledger.Receipt, error) {
	if len(cmds) == 0 {
		return ledger.Receipt{}, badRequest("commands", "at least one command is required")
	}
	for i, cmd := range cmds {
		if err := authorize(c.p, cmd); err != nil {
			if len(cmds) > 1 && err.Field != "" {
				err.Field = fmt.Sprintf("commands[%d].%s", i, err.Field)
			}
			return ledger.Receipt{}, err
		}
	}
	key := c.r.Header.Get("Idempotency-Key")
	if key == "" {
		key = defaultKey
	}
	if len(key) > 150 {
		return ledger.Receipt{}, badRequest("Idempotency-Key", "at most 150 bytes")
	}
	if key != "" {
		// Keys are the caller's own: two principals never collide.
		key = c.p.ID + ":" + key
	}
	req := ledger.Request{Alliance: alliance, Actor: c.p.Actor(), IdempotencyKey: key, Commands: cmds}
	start := time.Now()
	rc, err := s.cfg.Writer.Append(c.r.Context(), req)
	if err == nil {
		s.metrics.appendLatency.Observe(time.Since(start).Seconds())
	}
	return rc, err
}

// memberWritable lists what a member may append, on its own behalf.
var memberWritable = []string{ledger.TypeContributionRecorded, ledger.TypeContributionConfirmed,
	ledger.TypeContributionContested, ledger.TypeIPFiled, ledger.TypeDisputeRaised}

// authorize decides whether the principal may append the command: the
// secretariat appends anything for its alliance; a member records its own
// contributions and filings, confirms or contests what it is the
// counterparty of, and raises its own disputes; an evaluator records
// ratings; an auditor appends nothing.
func authorize(p *Principal, c ledger.Command) *Problem {
	switch p.Role {
	case RoleSecretariat:
		return nil
	case RoleAuditor:
		return forbidden("", "auditors read and verify everything and append nothing")
	case RoleEvaluator:
		if c.Type == ledger.TypeEvaluationRated {
			return nil
		}
		return forbidden("type", "evaluators record expert ratings (evaluation.rated) only, not %s", c.Type)
	case RoleMember:
	default:
		return forbidden("", "unknown role %q", p.Role)
	}
	own := func(field, who string) *Problem {
		if who == p.Member {
			return nil
		}
		return forbidden("payload."+field, "a member writes only on its own behalf: %s is %q but the token is member %q", field, who, p.Member)
	}
	switch pl := c.Payload.(type) {
	case *ledger.ContributionRecorded:
		return own("member", pl.Member)
	case *ledger.ContributionConfirmed:
		return own("by", pl.By)
	case *ledger.ContributionContested:
		return own("by", pl.By)
	case *ledger.DisputeRaised:
		return own("by", pl.By)
	case *ledger.IPFiled:
		if slices.ContainsFunc(pl.Owners, func(o ledger.Share) bool { return o.Member == p.Member }) {
			return nil
		}
		return forbidden("payload.owners", "a member files only IP it co-owns: %q is not among the owners", p.Member)
	}
	return forbidden("type", "members may append %s; %s is the secretariat's", strings.Join(memberWritable, ", "), c.Type)
}

// payoutBody is the body of a payout preview or commit.
type payoutBody struct {
	Method  string `json:"method,omitempty"`
	AsOfSeq uint64 `json:"as_of_seq,omitempty"`
	Seed    uint64 `json:"seed,omitempty"`
	Samples int    `json:"samples,omitempty"`
}

func decodeStrict(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("", "the body does not decode: %v", err)
	}
	return nil
}

// allocate computes the allocation the body asks for. When the pool is
// already paid out, paid is the payout in force (the last one neither
// reversed nor an adjustment).
func (s *Server) allocate(c *call) (a *payout.Allocation, paid *projections.PayoutFact, b payoutBody, err error) {
	if err := decodeStrict(c.r, &b); err != nil {
		return nil, nil, b, err
	}
	pool := c.r.PathValue("pool")
	if err := s.checkAsOf(c, b.AsOfSeq); err != nil {
		return nil, nil, b, err
	}
	upTo, err := s.atLeast(c, b.AsOfSeq)
	if err != nil {
		return nil, nil, b, err
	}
	err = s.view(c.r.Context(), c.alliance, upTo, func(m *projections.Model) (err error) {
		if b.AsOfSeq > m.Last() {
			return badRequest("as_of_seq", "position %d is beyond the log's last position %d", b.AsOfSeq, m.Last())
		}
		pf, err := m.Pool(pool, 0)
		if err != nil {
			return err
		}
		for i, p := range pf.Payouts {
			if p.Adjusts == 0 && p.Reversed == 0 {
				paid = &pf.Payouts[i]
			}
		}
		asOf := b.AsOfSeq
		if paid != nil && asOf == 0 && (b.Method == "" || b.Method == paid.Method) {
			// A retry of a commit made "as of the latest" finds it.
			asOf = paid.ComputedAt
		}
		a, err = payout.Compute(m, payout.Request{Pool: pool, Method: b.Method, AsOf: asOf, Seed: b.Seed, Samples: b.Samples})
		return err
	})
	return a, paid, b, err
}

// atLeast is the position a computation for a write waits for the
// projections to reach: asOf if given, else the log's end when the request
// came, so that "as of the latest" sees every write acknowledged before it
// (a pool declared, then at once paid out).
func (s *Server) atLeast(c *call, asOf uint64) (uint64, error) {
	if asOf != 0 {
		return asOf, nil
	}
	return s.cfg.Store.Last(c.r.Context(), c.alliance)
}

// previewPayout computes a pool's allocation as of a position; nothing is
// appended.
func (s *Server) previewPayout(c *call) error {
	var b payoutBody
	if err := decodeStrict(c.r, &b); err != nil {
		return err
	}
	if err := s.checkAsOf(c, b.AsOfSeq); err != nil {
		return err
	}
	var a *payout.Allocation
	upTo, err := s.atLeast(c, b.AsOfSeq)
	if err != nil {
		return err
	}
	err = s.view(c.r.Context(), c.alliance, upTo, func(m *projections.Model) (err error) {
		if b.AsOfSeq > m.Last() {
			return badRequest("as_of_seq", "position %d is beyond the log's last position %d", b.AsOfSeq, m.Last())
		}
		a, err = payout.Compute(m, payout.Request{Pool: c.r.PathValue("pool"), Method: b.Method, AsOf: b.AsOfSeq, Seed: b.Seed, Samples: b.Samples})
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, a)
}

// commitPayout computes the allocation and records it as a payout.committed
// with every input; the default idempotency key makes a retry of the same
// computation find the first.
func (s *Server) commitPayout(c *call) error {
	if err := authorize(c.p, ledger.Command{Type: ledger.TypePayoutCommitted, Payload: &ledger.PayoutCommitted{}}); err != nil {
		return err
	}
	a, paid, _, err := s.allocate(c)
	if err != nil {
		return err
	}
	var rc ledger.Receipt
	if paid != nil {
		// A retry of the same commit finds it; anything else is refused.
		same := paid.Method == a.Method && paid.ComputedAt == a.ComputedAt && len(paid.Amounts) == len(a.Members)
		for i, al := range paid.Amounts {
			same = same && al.Member == a.Members[i].Member && al.Amount.Amount == a.Members[i].Amount
		}
		if !same {
			return &Problem{Status: http.StatusConflict, Title: "conflict", Field: "pool",
				Detail: fmt.Sprintf("pool %q is already paid out at position %d (%s as of %d); reverse that payout first to commit another", a.Pool, paid.Seq, paid.Method, paid.ComputedAt),
				Rule:   "a pool is paid out once; a new payout needs the old one reversed"}
		}
		rc = ledger.Receipt{Alliance: c.alliance, First: paid.Seq, Last: paid.Seq, Duplicate: true}
	} else {
		p, err := a.Payload()
		if err != nil {
			return err
		}
		if rc, err = s.append(c, c.alliance, fmt.Sprintf("payout/%s/%s/%d", a.Pool, a.Method, a.ComputedAt), ledger.NewCommand(time.Time{}, p)); err != nil {
			return err
		}
	}
	status := http.StatusCreated
	if rc.Duplicate {
		status = http.StatusOK
	}
	return writeJSON(c.w, status, struct {
		*payout.Allocation
		Committed ledger.Receipt `json:"committed"`
	}{a, rc})
}

// ResolutionBody is the body of a dispute resolution.
type ResolutionBody struct {
	// The dispute's outcome.
	Outcome string `json:"outcome"`
	// What was decided and why.
	Resolution string `json:"resolution"`
	// The positions of the entries appended to put the resolution into
	// effect (reversals, corrections); left out with adjust, the payout
	// adjustment appended with the resolution is cited.
	Adjustments []uint64 `json:"adjustments,omitempty"`
	// Recompute the disputed payout as of as_of_seq and append the
	// adjustment with the resolution, in one request.
	Adjust bool `json:"adjust,omitempty"`
	// The position the payout is recomputed as of; default: the latest.
	AsOfSeq uint64 `json:"as_of_seq,omitempty"`
}

// resolveDispute closes a dispute; with "adjust", the disputed payout is
// recomputed as of as_of_seq and the adjustment is appended with the
// resolution, in one request.
func (s *Server) resolveDispute(c *call) error {
	seq, err := strconv.ParseUint(c.r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return badRequest("seq", "%q is not a log position", c.r.PathValue("seq"))
	}
	var b ResolutionBody
	if err := decodeStrict(c.r, &b); err != nil {
		return err
	}
	res := &ledger.DisputeResolved{Dispute: seq, Outcome: b.Outcome, Resolution: b.Resolution, Adjustments: b.Adjustments}
	// No business time: a resolution occurs when it is recorded, and a
	// retry then finds it.
	var now time.Time
	cmds := []ledger.Command{ledger.NewCommand(now, res)}
	if err := authorize(c.p, cmds[0]); err != nil {
		return err
	}
	if b.Adjust {
		var adj *ledger.PayoutAdjusted
		upTo, err := s.atLeast(c, b.AsOfSeq)
		if err != nil {
			return err
		}
		err = s.view(c.r.Context(), c.alliance, upTo, func(m *projections.Model) error {
			d, err := m.Dispute(seq, 0)
			if err != nil {
				return err
			}
			if d.SubjectType != ledger.TypePayoutCommitted {
				return badRequest("adjust", "the dispute at %d is about a %s, not a payout; append the correction and cite it in adjustments", seq, d.SubjectType)
			}
			adj, _, err = payout.Adjust(m, d.Subject, b.AsOfSeq)
			return err
		})
		if err != nil {
			return err
		}
		adj.Dispute, adj.Reason = seq, b.Resolution
		cmds = []ledger.Command{ledger.NewCommand(now, adj), cmds[0]}
	}
	return s.submit(c, c.alliance, fmt.Sprintf("dispute/%d/resolve", seq), cmds...)
}
