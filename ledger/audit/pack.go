package audit

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// An audit pack is a self-contained copy of an alliance's log for
// verification offline, as a directory or a .tar.gz of one:
//
//	README.md           how to verify it, with or without this software
//	manifest.json       the alliance, the log's identity, size and root
//	ledger.vkey         the ledger's note verifier key
//	checkpoints.jsonl   the signed checkpoints with their leaf hashes
//	cosignatures.jsonl  the members' co-signatures
//	events.jsonl        each event's exact stored bytes, one per line, in order
const (
	PackFormat       = 1
	packManifest     = "manifest.json"
	packKey          = "ledger.vkey"
	packCheckpoints  = "checkpoints.jsonl"
	packCosignatures = "cosignatures.jsonl"
	packEvents       = "events.jsonl"
	packReadme       = "README.md"
)

// Manifest describes a pack.
type Manifest struct {
	Format     int       `json:"format"`
	Alliance   string    `json:"alliance"`
	Origin     string    `json:"origin"`
	Events     int64     `json:"events"`
	Root       string    `json:"root"` // base64 tree root over every event
	LedgerKey  string    `json:"ledger_vkey"`
	ExportedAt time.Time `json:"exported_at"`
}

// PackContent is what WritePack writes.
type PackContent struct {
	Manifest     Manifest
	Checkpoints  []CheckpointRecord
	Cosignatures []CosignatureRecord
	// Events calls emit with each event's exact bytes, in order.
	Events func(emit func(data []byte) error) error
}

// WritePack writes a pack to path: a directory, or a gzipped tar archive
// when path ends in .tar.gz or .tgz. Nothing is left behind on error.
func WritePack(path string, pc PackContent) (err error) {
	archive := strings.HasSuffix(path, ".tar.gz") || strings.HasSuffix(path, ".tgz")
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists; an audit pack is written to a new path", path)
	}
	files := map[string][]byte{packReadme: []byte(packReadmeText(pc.Manifest)), packKey: []byte(pc.Manifest.LedgerKey + "\n")}
	if files[packManifest], err = json.MarshalIndent(pc.Manifest, "", "  "); err != nil {
		return err
	}
	files[packCheckpoints], err = jsonLines(pc.Checkpoints)
	if err != nil {
		return err
	}
	files[packCosignatures], err = jsonLines(pc.Cosignatures)
	if err != nil {
		return err
	}
	order := []string{packReadme, packManifest, packKey, packCheckpoints, packCosignatures}
	defer func() {
		if err != nil {
			os.RemoveAll(path)
		}
	}()
	if !archive {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
		for _, name := range order {
			if err := os.WriteFile(filepath.Join(path, name), files[name], 0o644); err != nil {
				return err
			}
		}
		f, err := os.Create(filepath.Join(path, packEvents))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := pc.Events(func(data []byte) error { return writeLine(w, data) }); err != nil {
			f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	// An archive needs each entry's size first: the events go to a
	// temporary file, then into the archive after the small files.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".events-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := pc.Events(func(data []byte) error { return writeLine(bw, data) }); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	dir := pc.Manifest.Alliance + "-audit/"
	now := pc.Manifest.ExportedAt
	for _, name := range order {
		if err := tw.WriteHeader(&tar.Header{Name: dir + name, Mode: 0o644, Size: int64(len(files[name])), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: dir + packEvents, Mode: 0o644, Size: size, ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, tmp); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return out.Close()
}

func writeLine(w *bufio.Writer, data []byte) error {
	if bytes.ContainsAny(data, "\n\r") {
		return errors.New("an event's stored bytes contain a line break; they cannot be one line of events.jsonl")
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

func jsonLines[T any](recs []T) ([]byte, error) {
	var b bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// Pack is an opened audit pack. It serves a verifier the events and
// records it holds.
type Pack struct {
	path     string
	archive  bool
	Manifest Manifest
	Key      string
	cps      []CheckpointRecord
	cos      []CosignatureRecord
}

// OpenPack opens a pack directory or archive and reads everything but the
// events, which Events streams.
func OpenPack(path string) (*Pack, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	p := &Pack{path: path, archive: !fi.IsDir()}
	small := map[string][]byte{}
	err = p.walk(func(name string, r io.Reader) (bool, error) {
		if name == packEvents {
			return false, nil
		}
		b, err := io.ReadAll(io.LimitReader(r, 1<<30))
		small[name] = b
		return true, err
	})
	if err != nil {
		return nil, err
	}
	for _, name := range []string{packManifest, packKey, packCheckpoints} {
		if _, ok := small[name]; !ok {
			return nil, fmt.Errorf("%s: not an audit pack: %s is missing", path, name)
		}
	}
	if err := json.Unmarshal(small[packManifest], &p.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, packManifest, err)
	}
	if p.Manifest.Format != PackFormat {
		return nil, fmt.Errorf("%s: pack format %d, this build reads %d", path, p.Manifest.Format, PackFormat)
	}
	p.Key = strings.TrimSpace(string(small[packKey]))
	if p.cps, err = readLines(small[packCheckpoints], packCheckpoints, decodeCheckpointRecord); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if p.cos, err = readLines(small[packCosignatures], packCosignatures, unmarshal[CosignatureRecord]); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// readLines decodes each non-blank line of b as a record.
func readLines[T any](b []byte, name string, decode func([]byte) (T, error)) ([]T, error) {
	var out []T
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, err := decode(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func unmarshal[T any](b []byte) (T, error) {
	var r T
	err := json.Unmarshal(b, &r)
	return r, err
}

// walk calls fn with each file of the pack by base name; fn returns false
// to skip reading the file.
func (p *Pack) walk(fn func(name string, r io.Reader) (bool, error)) error {
	if !p.archive {
		entries, err := os.ReadDir(p.path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			f, err := os.Open(filepath.Join(p.path, e.Name()))
			if err != nil {
				return err
			}
			_, err = fn(e.Name(), f)
			f.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	f, err := os.Open(p.path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: not a directory nor a .tar.gz audit pack: %w", p.path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if _, err := fn(filepath.Base(h.Name), tr); err != nil {
			return err
		}
	}
}

// Events calls fn with each event of the pack: its line number is its
// position.
func (p *Pack) Events(ctx context.Context, fn func(seq uint64, data []byte) error) error {
	found := false
	err := p.walk(func(name string, r io.Reader) (bool, error) {
		if name != packEvents {
			return false, nil
		}
		found = true
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var seq uint64
		for sc.Scan() {
			if seq%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return true, err
				}
			}
			seq++
			if err := fn(seq, sc.Bytes()); err != nil {
				return true, err
			}
		}
		return true, sc.Err()
	})
	if err == nil && !found {
		err = fmt.Errorf("%s: not an audit pack: %s is missing", p.path, packEvents)
	}
	return err
}

// Checkpoints returns the pack's checkpoint records.
func (p *Pack) Checkpoints(context.Context) ([]CheckpointRecord, error) { return p.cps, nil }

// Cosignatures returns the pack's co-signature records.
func (p *Pack) Cosignatures(context.Context) ([]CosignatureRecord, error) { return p.cos, nil }

func packReadmeText(m Manifest) string {
	return fmt.Sprintf(`# Audit pack of alliance %s

Exported %s: %d events, tree root %s,
log identity (checkpoint origin) %q.

## Verify it with the alliance binary (no server needed)

    alliance verify --pack PATH --vkey '%s'

checks every line below and names the first position where something does
not hold. Give --vkey the ledger key you trust (the one `+"`alliance audit key`"+`
printed on the ledger's machine); without it the key in ledger.vkey is used,
which proves only that the pack is consistent with itself.

## Verify it with standard tools

- events.jsonl: line i is the exact stored bytes of the event at position i.
- The log is an RFC 6962 Merkle tree: leaf i-1 is SHA-256(0x00 || line i),
  an interior node is SHA-256(0x01 || left || right)
  (golang.org/x/mod/sumdb/tlog: RecordHash, TreeHash, CheckRecord, CheckTree).
- checkpoints.jsonl: each record's "note" is a signed note
  (golang.org/x/mod/sumdb/note, Ed25519) whose text is a C2SP tlog-checkpoint
  (https://c2sp.org/tlog-checkpoint): the origin line, the tree size, the
  base64 root. Open it with the key in ledger.vkey (note.NewVerifier,
  note.Open) and compare the root with the tree of the first "size" lines.
  "leaf_hashes" are the leaf hashes of positions prev_size+1..size, 32 bytes
  each, base64: they locate an event that differs.
- cosignatures.jsonl: a member's co-signature is the same checkpoint note
  with a second signature, by the member's key "vkey".
`, m.Alliance, m.ExportedAt.Format(time.RFC3339), m.Events, m.Root, m.Origin, m.LedgerKey)
}
