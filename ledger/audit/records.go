package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// CheckpointRecord is what the log infrastructure keeps for each signed
// checkpoint: the signed note, and the leaf hashes of the events it added
// since the checkpoint before it. The leaf hashes are authenticated by the
// signed root (they hash up to it together with the earlier ones); a
// verifier uses them to name the first event that differs from the one
// checkpointed, where the root alone only says that something does.
type CheckpointRecord struct {
	Size     int64     `json:"size"`
	PrevSize int64     `json:"prev_size"`
	Note     string    `json:"note"`
	Leaves   []byte    `json:"leaf_hashes"` // 32 bytes per position prev_size+1..size
	SignedAt time.Time `json:"signed_at"`
}

// CosignatureRecord is a member's co-signature of a checkpoint: the note
// with the ledger's signature and the member's, and the member's verifier
// key so that anyone can check it.
type CosignatureRecord struct {
	Size     int64     `json:"size"`
	Member   string    `json:"member"`
	VKey     string    `json:"vkey"`
	Note     string    `json:"note"`
	SignedAt time.Time `json:"signed_at"`
}

// Record kinds, as the record store names them.
const (
	KindCheckpoints  = "checkpoints"
	KindCosignatures = "cosignatures"
)

// Records stores audit records as opaque bytes, per alliance and kind,
// append-only (natsstore.Audit).
type Records interface {
	Append(ctx context.Context, alliance, kind string, data []byte) (uint64, error)
	Read(ctx context.Context, alliance, kind string, fn func(data []byte) error) error
}

// ReadCheckpoints returns an alliance's checkpoint records, oldest first.
func ReadCheckpoints(ctx context.Context, rs Records, alliance string) ([]CheckpointRecord, error) {
	var out []CheckpointRecord
	err := rs.Read(ctx, alliance, KindCheckpoints, func(b []byte) error {
		r, err := decodeCheckpointRecord(b)
		if err != nil {
			return fmt.Errorf("checkpoint record %d: %w", len(out)+1, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// decodeCheckpointRecord is json.Unmarshal of a checkpoint record. Most of
// a record is its leaf hashes, one base64 string of up to 700 kB, which
// encoding/json scans three times (to check the value, to unquote it and to
// decode it): the string is decoded directly when it is the record's one
// member of that name, and the few bytes around it by encoding/json.
func decodeCheckpointRecord(b []byte) (CheckpointRecord, error) {
	var r CheckpointRecord
	const key = `"leaf_hashes":"`
	if i := bytes.Index(b, []byte(key)); i >= 0 {
		from := i + len(key)
		if n := bytes.IndexByte(b[from:], '"'); n >= 0 {
			to := from + n
			rest := make([]byte, 0, len(b)-n)
			rest = append(append(rest, b[:from]...), b[to:]...)
			// encoding/json matches member names without regard to case
			// (ſ is an s) and unescapes them: anything that could be a
			// second leaf_hashes member takes the slow path, which agrees by
			// definition, as do escapes and line breaks in the leaves (which
			// base64 would skip where JSON rejects them).
			if bytes.Count(bytes.ToLower(rest), []byte("leaf_hashes")) == 1 && !bytes.Contains(rest, []byte(`\u`)) &&
				!bytes.Contains(rest, []byte("ſ")) && bytes.IndexAny(b[from:to], "\\\r\n") < 0 {
				// An empty (not nil) r.Leaves says the blanked string was
				// the member's value, not part of another member's name.
				if err := json.Unmarshal(rest, &r); err == nil && r.Leaves != nil && len(r.Leaves) == 0 {
					leaves := make([]byte, base64.StdEncoding.DecodedLen(n))
					if m, err := base64.StdEncoding.Decode(leaves, b[from:to]); err == nil {
						r.Leaves = leaves[:m]
						return r, nil
					}
				}
			}
		}
	}
	r = CheckpointRecord{}
	err := json.Unmarshal(b, &r)
	return r, err
}

// ReadCosignatures returns an alliance's co-signature records, oldest first.
func ReadCosignatures(ctx context.Context, rs Records, alliance string) ([]CosignatureRecord, error) {
	var out []CosignatureRecord
	err := rs.Read(ctx, alliance, KindCosignatures, func(b []byte) error {
		var r CosignatureRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("co-signature record %d: %w", len(out)+1, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// ReadFunc reads an alliance's log from position from on, calling fn with
// each event's position and exact stored bytes.
type ReadFunc func(ctx context.Context, from uint64, fn func(seq uint64, data []byte) error) error

// Checkpointer keeps an alliance's tree up to date with its log and signs
// checkpoints: every Every events or Interval, whichever comes first, and
// on demand. The tree is rebuilt from the log when the checkpointer loads
// (hashing runs at replay speed, and the log stays the only truth); the
// checkpoints and their leaf hashes are stored in the records.
type Checkpointer struct {
	Alliance string
	Signer   note.Signer
	Read     ReadFunc
	Records  Records
	Every    int64         // sign when this many events are not yet checkpointed (0: never by count)
	Interval time.Duration // or when the last checkpoint is this old and events are waiting (0: never by time)

	tree   *Tree
	latest *CheckpointRecord
}

// LastRecorder is a Records that can give the latest record of a kind
// without reading the others.
type LastRecorder interface {
	Last(ctx context.Context, alliance, kind string) ([]byte, error) // nil when there is none
}

// LoadLatest reads the latest checkpoint record only, so that a process
// can ask DueFor without rebuilding the tree.
func (c *Checkpointer) LoadLatest(ctx context.Context) error {
	c.latest = nil
	if lr, ok := c.Records.(LastRecorder); ok {
		b, err := lr.Last(ctx, c.Alliance, KindCheckpoints)
		if err != nil || b == nil {
			return err
		}
		r, err := decodeCheckpointRecord(b)
		if err != nil {
			return fmt.Errorf("latest checkpoint record: %w", err)
		}
		c.latest = &r
		return nil
	}
	recs, err := ReadCheckpoints(ctx, c.Records, c.Alliance)
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		c.latest = &recs[len(recs)-1]
	}
	return nil
}

// Load reads the latest checkpoint record and folds the whole log into the
// tree.
func (c *Checkpointer) Load(ctx context.Context) error {
	if err := c.LoadLatest(ctx); err != nil {
		return err
	}
	c.tree = NewTree()
	return c.Sync(ctx)
}

// Sync folds the events appended since into the tree.
func (c *Checkpointer) Sync(ctx context.Context) error {
	if c.tree == nil {
		return c.Load(ctx)
	}
	return c.Read(ctx, uint64(c.tree.Size())+1, func(seq uint64, data []byte) error {
		if seq != uint64(c.tree.Size())+1 {
			return fmt.Errorf("alliance %s: position %d read after %d", c.Alliance, seq, c.tree.Size())
		}
		c.tree.Append(data)
		return nil
	})
}

// Tree is the tree as of the last Sync.
func (c *Checkpointer) Tree() *Tree { return c.tree }

// Latest is the latest checkpoint record, nil if there is none.
func (c *Checkpointer) Latest() *CheckpointRecord { return c.latest }

// LatestSize is the tree size the latest checkpoint covers, 0 if there is none.
func (c *Checkpointer) LatestSize() int64 {
	if c.latest == nil {
		return 0
	}
	return c.latest.Size
}

// Due reports whether a checkpoint is due at now.
func (c *Checkpointer) Due(now time.Time) bool { return c.DueFor(c.tree.Size(), now) }

// DueFor reports whether a checkpoint is due at now for a log of size
// events.
func (c *Checkpointer) DueFor(size int64, now time.Time) bool {
	waiting := size - c.LatestSize()
	if waiting <= 0 {
		return false
	}
	if c.Every > 0 && waiting >= c.Every {
		return true
	}
	return c.Interval > 0 && (c.latest == nil || now.Sub(c.latest.SignedAt) >= c.Interval)
}

// MaxLeavesPerRecord bounds the leaf hashes one record carries, so that a
// record stays well under a NATS message's 1 MB: a checkpointer that finds
// more events waiting signs a checkpoint at every MaxLeavesPerRecord
// positions on the way.
const MaxLeavesPerRecord = 16384

// Checkpoint syncs the tree, signs it and stores the record(s); it returns
// the latest record unchanged when nothing was appended since.
func (c *Checkpointer) Checkpoint(ctx context.Context, now time.Time) (*CheckpointRecord, bool, error) {
	if err := c.Sync(ctx); err != nil {
		return nil, false, err
	}
	size := c.tree.Size()
	if size == 0 {
		return nil, false, fmt.Errorf("alliance %s: the log is empty; there is nothing to checkpoint", c.Alliance)
	}
	if size == c.LatestSize() {
		return c.latest, false, nil
	}
	for c.LatestSize() < size {
		if err := c.sign(ctx, min(size, c.LatestSize()+MaxLeavesPerRecord), now); err != nil {
			return nil, false, err
		}
	}
	return c.latest, true, nil
}

// SignWhole signs, without reading the log, a checkpoint at every
// MaxLeavesPerRecord positions the tree holds past the latest checkpoint:
// the records Checkpoint would sign on its way to the tree's size, signed
// while the tree grows. A large import calls it as its commits are stored,
// so that the checkpoint after it has one record left to sign rather than
// one per MaxLeavesPerRecord events. It returns how many it signed.
func (c *Checkpointer) SignWhole(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for c.tree != nil && c.tree.Size()-c.LatestSize() >= MaxLeavesPerRecord {
		if err := c.sign(ctx, c.LatestSize()+MaxLeavesPerRecord, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (c *Checkpointer) sign(ctx context.Context, size int64, now time.Time) error {
	root, err := c.tree.Root(size)
	if err != nil {
		return err
	}
	msg, err := Sign(Checkpoint{Origin: Origin(c.Alliance), Size: size, Root: root}, c.Signer)
	if err != nil {
		return err
	}
	prev := c.LatestSize()
	rec := &CheckpointRecord{Size: size, PrevSize: prev, Note: string(msg), SignedAt: now.UTC()}
	rec.Leaves = make([]byte, 0, (size-prev)*tlog.HashSize)
	for seq := prev + 1; seq <= size; seq++ {
		h, err := c.tree.LeafHash(uint64(seq))
		if err != nil {
			return err
		}
		rec.Leaves = append(rec.Leaves, h[:]...)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := c.Records.Append(ctx, c.Alliance, KindCheckpoints, b); err != nil {
		return err
	}
	c.latest = rec
	return nil
}

// MaybeCheckpoint syncs the tree and signs a checkpoint if one is due.
func (c *Checkpointer) MaybeCheckpoint(ctx context.Context, now time.Time) (*CheckpointRecord, bool, error) {
	if err := c.Sync(ctx); err != nil {
		return nil, false, err
	}
	if !c.Due(now) {
		return c.latest, false, nil
	}
	return c.Checkpoint(ctx, now) // syncs again: cheap, nothing new
}
