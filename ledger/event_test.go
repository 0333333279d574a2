package ledger_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden files of the current schema versions")

func marshalNoEscape(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// appendHistory appends history() and returns the stored events.
func appendHistory(t *testing.T) []ledger.Stored {
	t.Helper()
	store := memstore.New()
	w := newWriter(t, store)
	for _, r := range history() {
		mustAppend(t, w, r)
	}
	return readAll(t, store)
}

// Every event type decodes from its stored bytes to a payload that encodes
// back to exactly those bytes: the stored form is canonical.
func TestEventsRoundTrip(t *testing.T) {
	for _, st := range appendHistory(t) {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			t.Fatalf("position %d: %v", st.Seq, err)
		}
		if got := marshalNoEscape(t, e.Payload); !bytes.Equal(got, e.Raw) {
			t.Errorf("%s at %d: payload re-encodes differently:\nstored %s\nagain  %s", e.Type, st.Seq, e.Raw, got)
		}
		if got := marshalNoEscape(t, e); !bytes.Equal(got, st.Data) {
			t.Errorf("%s at %d: event re-encodes differently:\nstored %s\nagain  %s", e.Type, st.Seq, st.Data, got)
		}
	}
}

// Golden files hold stored events of every type in every schema version the
// ledger ever wrote. Old versions are frozen: they must keep decoding (and
// upcasting) to the same current payload forever. Run with -update to
// rewrite the current version's files after a deliberate change.
func TestGoldenEvents(t *testing.T) {
	dir := filepath.Join("testdata", "events")
	if *update {
		written := map[string]bool{}
		for _, st := range appendHistory(t) {
			e, err := ledger.DecodeEvent(st.Data)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s.v%d.json", e.Type, e.Version)
			if written[name] {
				continue
			}
			written[name] = true
			if err := os.WriteFile(filepath.Join(dir, name), append(st.Data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, typ := range ledger.EventTypes() {
		current, _ := ledger.CurrentVersion(typ)
		for v := 1; v <= current; v++ {
			name := fmt.Sprintf("%s.v%d", typ, v)
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(dir, name+".json"))
				if err != nil {
					t.Fatalf("no golden event for %s schema version %d: %v", typ, v, err)
				}
				e, err := ledger.DecodeEvent(bytes.TrimSpace(data))
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if e.Type != typ || e.Version != v {
					t.Fatalf("golden file holds %s v%d", e.Type, e.Version)
				}
				got, err := json.MarshalIndent(e.Payload, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				wantPath := filepath.Join(dir, name+".want")
				if *update {
					if err := os.WriteFile(wantPath, append(got, '\n'), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(wantPath)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
					t.Errorf("decoded payload differs from %s (-want +got):\n%s", wantPath, diff)
				}
			})
		}
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := map[string]string{
		"not json":        `{"seq":`,
		"unknown type":    `{"seq":1,"type":"member.teleported","v":1,"payload":{}}`,
		"future version":  `{"seq":1,"type":"member.admitted","v":9,"payload":{}}`,
		"version zero":    `{"seq":1,"type":"member.admitted","v":0,"payload":{}}`,
		"payload garbage": `{"seq":1,"type":"member.admitted","v":1,"payload":[1,2]}`,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ledger.DecodeEvent([]byte(data)); err == nil {
				t.Errorf("decoded %s without error", data)
			}
		})
	}
}
