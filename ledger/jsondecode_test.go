package ledger_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/ledger"
)

// The fast decoder must give, for every input, exactly what encoding/json
// gives: the same error (it falls back to encoding/json for errors) or an
// equal event.

// checkSameDecode decodes data with DecodeEvent and with encoding/json
// alone, and fails unless both agree.
func checkSameDecode(t testing.TB, data []byte) {
	t.Helper()
	got, gotErr, gotPanic := decodeRecover(ledger.DecodeEvent, data)
	want, wantErr, wantPanic := decodeRecover(ledger.DecodeEventSlow, data)
	if gotPanic != wantPanic {
		t.Fatalf("input %q:\nDecodeEvent panic %q\nencoding/json panic %q", data, gotPanic, wantPanic)
	}
	if gotPanic != "" {
		return // a bug of both (an upcaster's), not of the fast path
	}
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("input %q:\nDecodeEvent error %v\nencoding/json error %v", data, gotErr, wantErr)
	}
	if gotErr != nil {
		if got != nil {
			t.Fatalf("input %q: DecodeEvent returned an event and an error", data)
		}
		return
	}
	// The same values down to their representation (time zones, big.Rat
	// internals), as both go through the same functions; the diff says
	// where they differ.
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("input %q: DecodeEvent differs from encoding/json (-json +DecodeEvent):\n%s\njson %#v\nfast %#v",
			data, cmp.Diff(want, got, eventCmp), want, got)
	}
}

// decodeRecover calls decode, turning a panic into its message.
func decodeRecover(decode func([]byte) (*ledger.Event, error), data []byte) (e *ledger.Event, err error, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	e, err = decode(data)
	return e, err, ""
}

// eventCmp compares events: Ratio by its canonical form, times by instant,
// zone name and offset, unexported fields of the ledger's types (a
// correction's typed replacement) as the others.
var eventCmp = cmp.Options{
	cmp.Exporter(func(t reflect.Type) bool { return t.PkgPath() == reflect.TypeFor[ledger.Event]().PkgPath() }),
	cmp.Comparer(func(a, b ledger.Ratio) bool { return a.String() == b.String() }),
	cmp.Comparer(func(a, b time.Time) bool {
		an, ao := a.Zone()
		bn, bo := b.Zone()
		return a.Equal(b) && an == bn && ao == bo && a.Location().String() == b.Location().String()
	}),
}

// goldenEvents returns the golden stored events (every type, every schema
// version the ledger ever wrote).
func goldenEvents(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no golden events: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, bytes.TrimSpace(data))
	}
	return out
}

// writerEvents caches the events the writer stores for the sample
// alliance and a synthetic log: building them takes a moment.
var writerEvents = sync.OnceValue(func() [][]byte {
	var tb fatalTB
	evs := sampleEvents(&tb)
	return append(evs, syntheticEvents(&tb, 7, 3000)...)
})

// fatalTB lets the cached builders run outside any one test.
type fatalTB struct{ testing.TB }

func (*fatalTB) Helper()                   {}
func (*fatalTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (*fatalTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// Every event the writer produces takes the fast path and decodes as
// encoding/json decodes it.
func TestDecodeEventFastTakesWriterEvents(t *testing.T) {
	evs := append(goldenEvents(t), writerEvents()...)
	types := map[string]int{}
	for _, data := range evs {
		checkSameDecode(t, data)
		e, ok := ledger.DecodeEventFast(data)
		if !ok {
			t.Fatalf("the fast path gave up on a canonical event: %s", data)
		}
		types[e.Type]++
	}
	for _, typ := range ledger.EventTypes() {
		if types[typ] == 0 {
			t.Errorf("no %s event tried", typ)
		}
	}
}

// Decoders running at once share the tables of interned names and parsed
// quantities (run with -race).
func TestDecodeEventFastConcurrent(t *testing.T) {
	evs := writerEvents()
	want := make([]*ledger.Event, len(evs))
	for i, data := range evs {
		var err error
		if want[i], err = ledger.DecodeEventSlow(data); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range evs {
				i := (i*7 + g*len(evs)/4) % len(evs) // each its own order
				got, err := ledger.DecodeEvent(evs[i])
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					t.Errorf("event %d decodes differently: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// memberRE finds the members of an event (keys of the envelope and of the
// payload's objects).
var memberRE = regexp.MustCompile(`[{,]"([a-z_0-9]+)":`)

// mutations derives from a canonical event many variants that encoding/json
// still reads, or not, differently from the canonical layout: members
// reordered, repeated, removed, renamed, values replaced by null or by
// other types, numbers with fractions, exponents or out of range, strings
// escaped or with invalid UTF-8, surrounding space, trailing data.
func mutations(data []byte) [][]byte {
	var out [][]byte
	add := func(parts ...[]byte) { out = append(out, bytes.Join(parts, nil)) }
	s := func(x string) []byte { return []byte(x) }
	add(s(" "), data)
	add(data, s(" "))
	add(data, s("\n"))
	add(data, s("x"))
	add(data, s("{}"))
	add(data[:len(data)-1])
	add(data[:len(data)/2])
	add(bytes.Replace(data, s(`{`), s(`{ `), 1))
	add(bytes.Replace(data, s(`:`), s(` :`), 1))
	add(bytes.Replace(data, s(`{"id"`), s(`{"unknown":1,"id"`), 1))
	add(bytes.Replace(data, s(`"payload":{`), s(`"payload":{"unknown":[1,{"x":null}],`), 1))
	add(bytes.Replace(data, s(`"payload":{`), s(`"payload": {`), 1))
	add(bytes.Replace(data, s(`"payload":`), s(`"Payload":`), 1))
	add(bytes.Replace(data, s(`"M0`), s(`"\u004d0`), -1))
	add(bytes.Replace(data, s(`"M0`), s(`"\u004D\u0030`), 1))
	add(bytes.Replace(data, s(`"M0`), s(`"M\/0`), 1))

	locs := memberRE.FindAllSubmatchIndex(data, -1)
	for _, loc := range locs {
		keyStart, keyEnd := loc[2], loc[3] // the name, without quotes
		valStart := loc[1]
		dec := json.NewDecoder(bytes.NewReader(data[valStart:]))
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			continue
		}
		valEnd := valStart + int(dec.InputOffset())
		member := data[keyStart-1 : valEnd] // "name":value
		before, after := data[:valStart], data[valEnd:]
		name := string(data[keyStart:keyEnd])
		val := data[valStart:valEnd]

		// Renamed: upper case (encoding/json matches it), unknown, escaped.
		add(data[:keyStart], s(strings.ToUpper(name[:1])+name[1:]), data[keyEnd:])
		add(data[:keyStart], s(strings.ToUpper(name)), data[keyEnd:])
		add(data[:keyStart], s(name+"x"), data[keyEnd:])
		add(data[:keyStart], s(fmt.Sprintf(`\u%04x`, name[0])+name[1:]), data[keyEnd:])
		if strings.Contains(name, "k") {
			add(data[:keyStart], s(strings.Replace(name, "k", "\u212a", 1)), data[keyEnd:]) // Kelvin sign folds to k
		}
		// Removed.
		if data[keyStart-2] == ',' {
			add(data[:keyStart-2], after)
		} else if after[0] == ',' {
			add(data[:keyStart-1], after[1:])
		}
		// Repeated, right after itself (and out of order), or at the end
		// of its object with another value.
		add(data[:valEnd], s(","), member, after)
		add(data[:valEnd], s(`,"`+name+`":null`), after)
		add(data[:valEnd], s(`,"`+name+`":"x"`), after)
		// Swapped with the next member.
		for _, next := range locs {
			if next[0] == valEnd {
				dec := json.NewDecoder(bytes.NewReader(data[next[1]:]))
				var v json.RawMessage
				if dec.Decode(&v) == nil {
					end := next[1] + int(dec.InputOffset())
					add(data[:keyStart-1], data[valEnd+1:end], s(","), member, data[end:])
				}
			}
		}
		// Other values.
		for _, other := range []string{`null`, `true`, `0`, `-0`, `1`, `-1`, `01`, `1.0`, `1e2`, `1E+2`, `-`, `""`, `"x"`, `{}`, `[]`, `[1]`,
			`{"amount":1}`, `{"currency":"CNY"}`, `{"amount":1,"currency":"CNY","amount":2}`, `{"sha256":"ab"}`, `{"uri":"u","title":"t"}`,
			`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
			`18446744073709551615`, `18446744073709551616`, `99999999999999999999999`, `2147483648`,
			`"12.5"`, `"1/3"`, `"0"`, `"-1"`, `"1e3"`, `"abc"`, `12.5`, `"\u0031"`,
			`"2024-03-01T09:00:00+08:00"`, `"2024-03-01T09:00:00.123456789Z"`, `"2024-13-01T09:00:00Z"`, `"2024-03-01"`,
			`"\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`, `"a\"b"`, `"a\\b"`, `"a\nb"`, `"\u0000"`, `"\u2028"`, `"a\qb"`, `"\u12"`,
			"\"\xff\"", "\"\xed\xa0\x80\"", "\"\xe4\xb8\"", "\"\xef\xbf\xbd\"", "\"a\tb\"", "\"\u2028\""} {
			add(before, s(other), after)
		}
		// The same value, changed within.
		if val[0] == '"' {
			inner := val[1 : len(val)-1]
			add(before, s(`"`), inner, s(`\n"`), after)
			add(before, s(`"\"`), inner, s(`"`), after)
			add(before, s(`"`), inner, s("\xff\""), after)
			add(before, s(`"`), inner, s("\xc0\x80\""), after)
			add(before, s(`"`), inner, s(`\ud83d\ude00"`), after)
			add(before, s(`"`), inner, s(`\u00e9"`), after)
			add(before, s(`"`), inner, s("\xe2\x80\xa8\""), after)
			add(before, s(`"`), bytes.ToUpper(inner), s(`"`), after)
			add(before, s(`"`), inner, inner, s(`"`), after)
			if len(inner) > 0 {
				add(before, s(`"`), inner[1:], s(`"`), after)
				add(before, s(fmt.Sprintf(`"\u%04x`, inner[0])), inner[1:], s(`"`), after)
			}
		}
		if val[0] >= '0' && val[0] <= '9' {
			add(before, s("-"), val, after)
			add(before, val, s("0"), after)
			add(before, val, s(".0"), after)
			add(before, val, s("e0"), after)
			add(before, val, s("000000000000"), after)
		}
	}
	return out
}

// fastPayloadRE matches the events whose payload has a decoder of its own.
var fastPayloadRE = regexp.MustCompile(`"type":"(contribution\.(recorded|confirmed|contested)|funding\.received|cost\.incurred|loss\.realized|` +
	`entry\.(reversed|corrected)|ip\.(filed|status_changed|licence_revenue)|member\.(admitted|role_changed|departed)|` +
	`project\.(opened|participants_changed|closed)|pool\.(declared|assessed)|payout\.(committed|settled|adjusted)|dispute\.(raised|resolved))"`)

// seedInputs are the fuzz seeds: golden events, writer events, and the
// mutations of a few of them.
func seedInputs(tb testing.TB) [][]byte {
	golden := goldenEvents(tb)
	seeds := append([][]byte(nil), golden...)
	evs := writerEvents()
	// Every 10th writer event: all types, without thousands of seeds.
	for i := 0; i < len(evs); i += 10 {
		seeds = append(seeds, evs[i])
	}
	for _, data := range golden {
		if fastPayloadRE.Match(data) {
			seeds = append(seeds, mutations(data)...)
		}
	}
	return seeds
}

// Mutations of every golden event, and of writer events of every fast
// type with quantities, unit values and evidence, decode alike.
func TestDecodeEventFastMutations(t *testing.T) {
	bases := goldenEvents(t)
	seen := map[string]bool{}
	for _, data := range writerEvents() {
		// One event of each payload shape (its keys) of the types with a
		// payload decoder of their own.
		shape := string(bytes.Join(memberRE.FindAll(data, -1), nil))
		if !seen[shape] && fastPayloadRE.Match(data) {
			seen[shape] = true
			bases = append(bases, data)
		}
	}
	n := 0
	for _, base := range bases {
		for i, data := range mutations(base) {
			if raceEnabled && i%8 != 0 {
				continue
			}
			checkSameDecode(t, data)
			n++
		}
	}
	t.Logf("%d mutations of %d events", n, len(bases))
}

// FuzzDecodeEventFast checks DecodeEvent against encoding/json alone.
// Corpus: testdata/fuzz/FuzzDecodeEventFast (hand-written and found by
// fuzzing) and seedInputs.
func FuzzDecodeEventFast(f *testing.F) {
	for _, data := range seedInputs(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameDecode(t, data)
	})
}

// FuzzParseRatioFast checks the decoder's parser of canonical decimals
// against ParseRatio, down to the big.Rat's representation.
func FuzzParseRatioFast(f *testing.F) {
	for _, s := range []string{"12.5", "300", "0.25", "0.5", "1", "0", "0.0", "00.5", "1.50", "1.", ".5", "-1", "1/3", "1e3",
		"123456789012345678", "1234567890123456789", "0.123456789012345678", "12345678901234567.8", "99999999999999999.9", "0.00000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ledger.ParseRatioFast(s)
		if !ok {
			return
		}
		want, err := ledger.ParseRatio(s)
		if err != nil {
			t.Fatalf("%q: fast parse gives %s, ParseRatio fails: %v", s, got, err)
		}
		if !reflect.DeepEqual(got, want) || got.String() != want.String() {
			t.Fatalf("%q: fast parse gives %#v (%s), ParseRatio %#v (%s)", s, got, got, want, want)
		}
	})
}

// checkSameCommit decodes data with UnmarshalCommit and with encoding/json
// alone, and fails unless both agree.
func checkSameCommit(t testing.TB, data []byte) {
	t.Helper()
	got, gotErr := ledger.UnmarshalCommit(data)
	want, wantErr := ledger.UnmarshalCommitSlow(data)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("input %q:\nUnmarshalCommit error %v\nencoding/json error %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("input %q: UnmarshalCommit differs from encoding/json:\njson %+v\nfast %+v", data, want, got)
	}
}

// writerCommits groups the writer's events into commits of up to n events.
func writerCommits(n int) [][]byte {
	evs := writerEvents()
	var out [][]byte
	for i := 0; i < len(evs); i += n {
		c := &ledger.Commit{ID: fmt.Sprintf("c%d", i), Events: evs[i:min(i+n, len(evs))]}
		e, err := ledger.DecodeEventSlow(c.Events[0])
		if err != nil {
			panic(err)
		}
		c.Alliance, c.First = e.Alliance, e.Seq
		for j, data := range c.Events { // up to the end of this alliance's log
			if e, _ := ledger.DecodeEventSlow(data); e.Alliance != c.Alliance || e.Seq != c.First+uint64(j) {
				c.Events = c.Events[:j]
				break
			}
		}
		out = append(out, ledger.MarshalCommit(c))
	}
	return out
}

// Commits as MarshalCommit writes them take the fast path and decode as
// encoding/json decodes them.
func TestUnmarshalCommitFastTakesWriterCommits(t *testing.T) {
	for _, n := range []int{1, 1000} {
		for i, data := range writerCommits(n) {
			if raceEnabled && i%8 != 0 {
				continue
			}
			checkSameCommit(t, data)
			if _, ok := ledger.UnmarshalCommitFast(data); !ok {
				t.Fatalf("the fast path gave up on a commit MarshalCommit wrote: %.300s", data)
			}
			if _, err := ledger.UnmarshalCommit(data); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// commitMutations derives from a commit variants that encoding/json reads,
// or not, differently from MarshalCommit's layout.
func commitMutations(data []byte) [][]byte {
	var out [][]byte
	add := func(parts ...string) { out = append(out, []byte(strings.Join(parts, ""))) }
	d := string(data)
	add(" ", d)
	add(d, " ")
	add(d, "\n")
	add(d, "}") // encoding/json's Decoder.More does not see a closing bracket as more data
	add(d, "]")
	add(d, "x")
	add(d, "{}")
	add(d[:len(d)-1])
	add(d[:len(d)/2])
	add(d[:len(d)-2], " ]}")
	add(strings.Replace(d, `{"commit"`, `{"Commit"`, 1))
	add(strings.Replace(d, `{"commit"`, `{"\u0063ommit"`, 1))
	add(strings.Replace(d, `{"commit"`, `{"unknown":1,"commit"`, 1))
	add(strings.Replace(d, `"events":[`, `"events": [`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[ `, 1))
	add(strings.Replace(d, `"events":[`, `"first":2,"events":[`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[],"events":[`, 1))
	add(strings.Replace(d, `"events":[`, `"events":null,"events":[`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[1,`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"seq":1} ,`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[ {"seq":1},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{ "seq" : 1 },`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":[`+strings.Repeat("[", 70)+strings.Repeat("]", 70)+`]},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":"\q"},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":"\u12"},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":"\ud800\u00e9\/\"\\"},`, 1))
	add(strings.Replace(d, `"events":[`, "\"events\":[{\"x\":\"\xff\t\"},", 1))
	add(strings.Replace(d, `"events":[`, "\"events\":[{\"x\":\"\xff\"},", 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":-0.5e+3,"y":[true,false,null],"z":01},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":1.},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":tru},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x":1,},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[{"x" 1},`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[[1,2]],"x":[`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[],"y":[`, 1))
	add(strings.Replace(d, `"events":[`, `"events":[`, 1)[:strings.Index(d, `"events":[`)] + `"events":[]}`)
	add(strings.Replace(d, `"events":[`, `"events":[`, 1)[:strings.Index(d, `"events":[`)] + `"events":null}`)
	for _, v := range []string{`""`, `"c\"1"`, `"c\u0031"`, "\"c\xff\"", `null`, `1`, `"x"`} {
		add(strings.Replace(d, `"commit":"`, `"commit":`+v+`,"x":"`, 1))
	}
	for _, v := range []string{`0`, `-1`, `1.0`, `1e2`, `01`, `18446744073709551615`, `18446744073709551616`, `"1"`, `null`} {
		i := strings.Index(d, `"first":`) + len(`"first":`)
		j := i + strings.Index(d[i:], ",")
		add(d[:i], v, d[j:])
	}
	for _, v := range []string{`"A"`, `""`, `"a b"`, `"a\u0062"`, `1`} {
		i := strings.Index(d, `"alliance":`) + len(`"alliance":`)
		j := i + strings.Index(d[i:], ",")
		add(d[:i], v, d[j:])
	}
	return out
}

func TestUnmarshalCommitFastMutations(t *testing.T) {
	for _, n := range []int{1, 2} {
		for i, data := range writerCommits(n) {
			if i%50 != 0 {
				continue
			}
			for j, m := range commitMutations(data) {
				if raceEnabled && j%4 != 0 {
					continue
				}
				checkSameCommit(t, m)
			}
		}
	}
}

// FuzzUnmarshalCommitFast checks UnmarshalCommit against encoding/json
// alone. Corpus: testdata/fuzz/FuzzUnmarshalCommitFast and writer commits
// with their mutations.
func FuzzUnmarshalCommitFast(f *testing.F) {
	for i, data := range writerCommits(2) {
		if i%20 == 0 {
			f.Add(data)
			for _, m := range commitMutations(data) {
				f.Add(m)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameCommit(t, data)
	})
}

// Inputs that once crashed or slipped through the decoders.
func TestDecodeOddities(t *testing.T) {
	null := []byte(`{"id":"x","seq":1,"type":"alliance.founded","v":1,"alliance":"a","aggregate":"alliance","actor":"x","occurred_at":"2024-01-01T00:00:00Z","recorded_at":"2024-01-01T00:00:00Z","payload":null}`)
	if _, err := ledger.DecodeEvent(null); err == nil || !strings.Contains(err.Error(), "payload is null") {
		t.Errorf("alliance.founded v1 with a null payload: %v, want an error", err)
	}
	c := ledger.MarshalCommit(&ledger.Commit{ID: "c1", Alliance: "a", First: 1, Events: [][]byte{[]byte(`{"seq":1,"alliance":"a"}`)}})
	for _, tail := range []string{"}", "]", " }", "x"} {
		if _, err := ledger.UnmarshalCommit(append(append([]byte(nil), c...), tail...)); err == nil || !strings.Contains(err.Error(), "trailing") {
			t.Errorf("commit followed by %q: %v, want trailing data refused", tail, err)
		}
	}
	if _, err := ledger.UnmarshalCommit(append(append([]byte(nil), c...), " \n"...)); err != nil {
		t.Errorf("commit followed by white space: %v", err)
	}
}

// correctedTypes are the types a correction's replacement is decoded as.
var correctedTypes = []string{ledger.TypeContributionRecorded, ledger.TypeFundingReceived, ledger.TypeCostIncurred,
	ledger.TypeLossRealized, ledger.TypeIPLicenceRevenue}

// checkSameCorrected decodes a replacement as each correctable type with
// ledger.Corrected and with (*EntryCorrected).Corrected, and fails unless
// both agree.
func checkSameCorrected(t testing.TB, replacement []byte) {
	t.Helper()
	p := &ledger.EntryCorrected{Entry: 1, Reason: "r", Replacement: replacement}
	for _, typ := range correctedTypes {
		got, gotErr := ledger.Corrected(p, typ)
		want, wantErr := p.Corrected(typ)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("replacement %q as %s:\nCorrected error %v\nencoding/json error %v", replacement, typ, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("replacement %q as %s: Corrected differs from encoding/json (-json +Corrected):\n%s",
				replacement, typ, cmp.Diff(want, got, eventCmp))
		}
	}
}

// replacements are payloads of the correctable types as the writer stores
// them, replacements of the writer's corrections included.
func replacements(tb testing.TB) [][]byte {
	var out [][]byte
	for _, data := range append(goldenEvents(tb), writerEvents()...) {
		e, err := ledger.DecodeEventSlow(data)
		if err != nil {
			tb.Fatal(err)
		}
		if c, ok := e.Payload.(*ledger.EntryCorrected); ok {
			out = append(out, c.Replacement)
		}
		for _, typ := range correctedTypes {
			if v, _ := ledger.CurrentVersion(typ); e.Type == typ && e.Version == v {
				out = append(out, e.Raw)
			}
		}
	}
	return out
}

// A correction's replacement decodes alike through the payload readers
// and through encoding/json, as every type, mutations included.
func TestCorrectedMutations(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for _, r := range replacements(t) {
		shape := string(bytes.Join(memberRE.FindAll(r, -1), nil))
		if seen[shape] {
			checkSameCorrected(t, r)
			continue
		}
		seen[shape] = true
		for i, m := range append(mutations(r), r) {
			if raceEnabled && i%8 != 0 {
				continue
			}
			checkSameCorrected(t, m)
			n++
		}
	}
	t.Logf("%d mutations of %d replacement shapes", n, len(seen))
}

// FuzzCorrected checks ledger.Corrected against (*EntryCorrected).Corrected.
func FuzzCorrected(f *testing.F) {
	for _, r := range replacements(f) {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, replacement []byte) {
		checkSameCorrected(t, replacement)
	})
}

// A canonical event costs three allocations: the event with its payload,
// its texts, its Raw. A reader that escapes to the heap (passed to a
// function value, say) would add one to every event of a replay.
func TestDecodeEventFastAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	seen := map[string]bool{}
	for _, data := range writerEvents() {
		e, ok := ledger.DecodeEventFast(data)
		if !ok || seen[e.Type] || !fastPayloadRE.Match(data) {
			continue
		}
		seen[e.Type] = true
		if e.Type == ledger.TypeContributionRecorded || e.Type == ledger.TypeContributionConfirmed {
			if n := testing.AllocsPerRun(20, func() { ledger.DecodeEventFast(data) }); n > 3 {
				t.Errorf("%s: %v allocations, want 3 at most", e.Type, n)
			}
		}
	}
}

// DecodeEventShared decodes exactly what DecodeEvent decodes; only Raw's
// memory differs.
func TestDecodeEventShared(t *testing.T) {
	for _, data := range syntheticEvents(t, 7, 3000) {
		want, err := ledger.DecodeEvent(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ledger.DecodeEventShared(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeEventShared(%s) = %+v, DecodeEvent gives %+v", data, got, want)
		}
	}
}
