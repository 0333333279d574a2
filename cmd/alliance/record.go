package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/user"
	"regexp"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

func runRecord(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	alliance := fs.String("alliance", e.getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID)")
	file := fs.String("file", "", "read the command (or its payload, or an array of commands) from this JSON file; - for stdin")
	occurred := fs.String("occurred-at", "", "business time: RFC 3339 or YYYY-MM-DD in the alliance's zone (default now)")
	key := fs.String("key", "", "idempotency key: retrying with the same key appends nothing twice")
	actor := fs.String("actor", "", "principal recorded as the appender (default cli:<user>)")
	asJSON := fs.Bool("json", false, "print the receipt as JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance record [flags] <type> [field=value | field:=json ...]")
		fmt.Fprintln(e.stderr, "\nAppends one command as an event and prints its position. Payload fields are given as")
		fmt.Fprintln(e.stderr, "field=text, field:=JSON (numbers, lists, objects) with dots for nesting (value.amount:=100),")
		fmt.Fprintln(e.stderr, "or money as value=\"1,500,000.00 CNY\" for the money fields (value, amount, budget, unit_value, ...).")
		fmt.Fprintln(e.stderr, "\nExample:\n  alliance record --alliance ev contribution.recorded member=M02 project=P1 kind=cash value=\"150000.00 CNY\"")
		fmt.Fprintln(e.stderr, "\nTypes:", strings.Join(ledger.EventTypes(), ", "))
		fmt.Fprintln(e.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *alliance == "" {
		return fmt.Errorf("name the alliance with --alliance (or $ALLIANCE_ID)")
	}
	var typ string
	if len(positional) > 0 && !strings.ContainsAny(positional[0], "=") {
		typ, positional = positional[0], positional[1:]
	}
	at := time.Now()
	if *occurred != "" {
		if at, err = parseTime(*occurred); err != nil {
			return err
		}
	}
	cmds, err := buildCommands(e.stdin, typ, *file, positional, at)
	if err != nil {
		return err
	}
	if *actor == "" {
		*actor = "cli"
		if u, err := user.Current(); err == nil {
			*actor = "cli:" + u.Username
		}
	}
	lc, err := sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	w := ledger.NewWriter(lc.store, ledger.WriterOptions{Logger: lc.logger})
	defer w.Close()
	rc, err := w.Append(ctx, ledger.Request{Alliance: *alliance, Actor: *actor, IdempotencyKey: *key, Commands: cmds})
	if err != nil {
		return err
	}
	checkpointIfDue(ctx, e, lc, sf, keyFlags{path: e.getenv("ALLIANCE_KEY")}, *alliance)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rc)
	}
	what := cmds[0].Type
	if len(cmds) > 1 {
		what = fmt.Sprintf("%d events", len(cmds))
	}
	pos := fmt.Sprintf("position %d", rc.First)
	if rc.Last != rc.First {
		pos = fmt.Sprintf("positions %d-%d", rc.First, rc.Last)
	}
	if rc.Duplicate {
		fmt.Fprintf(e.stdout, "already recorded: %s at %s in alliance %s (idempotency key %q)\n", what, pos, *alliance, *key)
		return nil
	}
	fmt.Fprintf(e.stdout, "recorded %s at %s in alliance %s\n", what, pos, *alliance)
	return nil
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseTime accepts RFC 3339 or a date, which is read as midnight in Asia/Shanghai.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	loc, err := time.LoadLocation(ledger.DefaultTimeZone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q is neither RFC 3339 (2024-03-01T09:00:00+08:00) nor a date (2024-03-01)", s)
}

func buildCommands(stdin io.Reader, typ, file string, fields []string, at time.Time) ([]ledger.Command, error) {
	if file != "" {
		if len(fields) > 0 {
			return nil, fmt.Errorf("give the payload either in --file or as fields, not both")
		}
		var data []byte
		var err error
		if file == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return nil, err
		}
		return commandsFromJSON(data, typ, at)
	}
	if typ == "" {
		return nil, fmt.Errorf("name the event type to record (one of %s)", strings.Join(ledger.EventTypes(), ", "))
	}
	payload := map[string]any{}
	for _, f := range fields {
		if err := setField(payload, f); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return commandsFromJSON(raw, typ, at)
}

// commandsFromJSON reads a command, an array of commands, or (when typ is
// given) a bare payload. Commands without occurred_at happen at `at`.
func commandsFromJSON(data []byte, typ string, at time.Time) ([]ledger.Command, error) {
	data = bytes.TrimSpace(data)
	var list []json.RawMessage
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("commands: %w", err)
		}
	} else {
		list = []json.RawMessage{data}
	}
	cmds := make([]ledger.Command, 0, len(list))
	for i, raw := range list {
		var probe struct {
			Type       string          `json:"type"`
			OccurredAt json.RawMessage `json:"occurred_at"`
			Payload    json.RawMessage `json:"payload"`
		}
		_ = json.Unmarshal(raw, &probe)
		if probe.Payload == nil { // a bare payload
			if typ == "" {
				return nil, fmt.Errorf("command %d: a bare payload needs the event type as the first argument", i)
			}
			wrapped, err := json.Marshal(map[string]any{"type": typ, "payload": raw})
			if err != nil {
				return nil, err
			}
			raw = wrapped
		} else if typ != "" && probe.Type == "" {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
			m["type"], _ = json.Marshal(typ)
			raw, _ = json.Marshal(m)
		}
		var c ledger.Command
		if err := json.Unmarshal(raw, &c); err != nil {
			var fe *ledger.FieldError
			if errors.As(err, &fe) && len(list) > 1 {
				return nil, fmt.Errorf("command %d: %w", i, err)
			}
			return nil, err
		}
		if c.OccurredAt.IsZero() {
			c.OccurredAt = at
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// moneyFields are payload fields that always hold money, so that
// value="1,500,000.00 CNY" can be written instead of a JSON object.
var moneyFields = map[string]bool{"value": true, "amount": true, "unit_value": true, "budget": true, "claimed_value": true, "claimed_amount": true}

var moneyText = regexp.MustCompile(`^\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Z]{3})\s*$`)

// setField sets one path=value (text) or path:=json field in m.
func setField(m map[string]any, f string) error {
	var path, text string
	var value any
	if i := strings.Index(f, ":="); i > 0 && !strings.Contains(f[:i], "=") {
		path, text = f[:i], f[i+2:]
		if err := json.Unmarshal([]byte(text), &value); err != nil {
			return fmt.Errorf("field %s: %q is not JSON: %v", path, text, err)
		}
	} else if i := strings.Index(f, "="); i > 0 {
		path, text = f[:i], f[i+1:]
		value = text
		last := path
		if moneyFields[last] && !strings.Contains(path, ".") {
			mv, err := parseMoney(text)
			if err != nil {
				return fmt.Errorf("field %s: %w", path, err)
			}
			value = mv
		}
	} else {
		return fmt.Errorf("%q is not field=value or field:=json", f)
	}
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = value
	return nil
}

// parseMoney reads "1,500,000.00 CNY" into minor units exactly.
func parseMoney(s string) (map[string]any, error) {
	m := moneyText.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%q is not money like \"1,500,000.00 CNY\"", s)
	}
	exp, ok := ledger.CurrencyExponent(m[2])
	if !ok {
		return nil, fmt.Errorf("currency %q is not an accepted ISO 4217 currency", m[2])
	}
	r, ok := new(big.Rat).SetString(strings.ReplaceAll(m[1], ",", ""))
	if !ok {
		return nil, fmt.Errorf("%q is not a number", m[1])
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return nil, fmt.Errorf("%q has more decimals than %s has minor units (%d)", s, m[2], exp)
	}
	return map[string]any{"amount": r.Num().Int64(), "currency": m[2]}, nil
}
