package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkSameAsJSON holds decodeCheckpointRecord to json.Unmarshal: the same
// record, or an error from both.
func checkSameAsJSON(t *testing.T, b []byte) {
	t.Helper()
	var want CheckpointRecord
	wantErr := json.Unmarshal(b, &want)
	got, err := decodeCheckpointRecord(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", b, err, wantErr)
	}
	if err == nil {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: differs from encoding/json (-want +got):\n%s", b, diff)
		}
		if len(got.Leaves) == 0 != (len(want.Leaves) == 0) || (got.Leaves == nil) != (want.Leaves == nil) {
			t.Fatalf("%q: leaves %v, encoding/json %v", b, got.Leaves, want.Leaves)
		}
	}
}

func recordSeeds() [][]byte {
	var leaves []byte
	for i := range 1000 {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		leaves = append(leaves, h[:]...)
	}
	rec := CheckpointRecord{Size: 1000, PrevSize: 0, Note: "alliance-ledger/a\n1000\nabc=\n\n— ledger xyz\n", Leaves: leaves,
		SignedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	good, _ := json.Marshal(rec)
	empty, _ := json.Marshal(CheckpointRecord{Size: 3, PrevSize: 3, Note: "n"})
	small, _ := json.Marshal(CheckpointRecord{Size: 1, Leaves: leaves[:32]})
	return [][]byte{
		good, empty, small,
		[]byte(`{"size":1,"leaf_hashes":"AAAA","LEAF_HASHES":"AQID"}`),      // a later member of the same name wins
		[]byte(`{"size":1,"Leaf_Hashes":"AQID","leaf_hashes":"AAAA"}`),      // ours is the later one
		[]byte(`{"size":1,"leaf_hashes":"AAAA","leaf_haſhes":"AQID"}`),      // ſ folds to s
		[]byte(`{"size":1,"leaf_hashes":"AAAA","leaf\u005fhashes":"AQID"}`), // an escaped name
		[]byte(`{"size":1,"leaf_hashes":"AAAA","leaf_hashes":""}`),
		[]byte(`{"size":1,"note":"\"leaf_hashes\":\"AQID","leaf_hashes":"AAAA"}`),
		[]byte(`{"size":1,"k\"leaf_hashes":"AQID","leaf_hashes":"AAAA"}`),
		[]byte(`{"size":1,"leaf_hashes":"AA\nAA"}`),  // a raw line break: not JSON
		[]byte(`{"size":1,"leaf_hashes":"AA\\nAA"}`), // an escaped one: not base64
		[]byte(`{"size":1,"leaf_hashes":"AA=A"}`),
		[]byte(`{"size":1,"leaf_hashes":"AAA"}`),
		[]byte(`{"size":1,"leaf_hashes":"AAAA"`),
		[]byte(`{"size":1,"leaf_hashes":"AAAA"} x`),
		[]byte(`{"size":"1","leaf_hashes":"AAAA"}`),
		[]byte(`{"size":1,"leaf_hashes": "AAAA"}`),
		[]byte(`{"size":1,"leaf_hashes":null}`),
		[]byte(`{"size":1,"leaf_hashes":"AAAA","signed_at":"yesterday"}`),
		[]byte(`["leaf_hashes":"AAAA"]`),
		[]byte(`"leaf_hashes":"AAAA"`),
		bytes.Replace(good, []byte(`"leaf_hashes":"`), []byte(`"leaf_hashes":"*`), 1),
	}
}

func TestDecodeCheckpointRecordIsEncodingJSON(t *testing.T) {
	for _, b := range recordSeeds() {
		checkSameAsJSON(t, b)
	}
}

func FuzzDecodeCheckpointRecord(f *testing.F) {
	for _, b := range recordSeeds() {
		f.Add(b)
	}
	f.Fuzz(checkSameAsJSON)
}

// A record of the most leaf hashes a record holds, as verify reads them
// (go test -bench DecodeCheckpointRecord ./ledger/audit/): against
// encoding/json alone, in the same run.
func BenchmarkDecodeCheckpointRecord(b *testing.B) {
	leaves := bytes.Repeat([]byte{7}, MaxLeavesPerRecord*32)
	data, _ := json.Marshal(CheckpointRecord{Size: MaxLeavesPerRecord, Note: "alliance-ledger/a\n", Leaves: leaves})
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := decodeCheckpointRecord(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var r CheckpointRecord
			if err := json.Unmarshal(data, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
