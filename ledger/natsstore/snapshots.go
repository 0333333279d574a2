package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
)

// SnapshotBucket is the JetStream object store bucket holding the read
// side's snapshots, for every alliance. Objects are named
// "<alliance>/<position, 20 digits>". Snapshots are derived data: losing
// them costs a replay, never an event.
const SnapshotBucket = "ALLIANCE_SNAPSHOTS"

// ErrNoSnapshot is what LoadSnapshot returns when there is none; callers
// map it to their own sentinel.
var ErrNoSnapshot = fmt.Errorf("natsstore: no snapshot: %w", ledger.ErrNotFound)

// Snapshots stores snapshots in the SnapshotBucket object store, keeping
// the latest Keep per alliance.
type Snapshots struct {
	js       jetstream.JetStream
	replicas int
	// Keep is how many snapshots of an alliance are kept; 0 means 2.
	Keep int

	mu  sync.Mutex
	obs jetstream.ObjectStore
}

// Snapshots returns the snapshot store on the store's connection.
func (s *Store) Snapshots() *Snapshots {
	return &Snapshots{js: s.js, replicas: s.opts.Replicas}
}

func (s *Snapshots) bucket(ctx context.Context) (jetstream.ObjectStore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.obs != nil {
		return s.obs, nil
	}
	obs, err := s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "alliance ledger read-side snapshots",
		Storage:     jetstream.FileStorage,
		Replicas:    max(s.replicas, 1),
		Compression: true,
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot bucket: %w", err)
	}
	s.obs = obs
	return obs, nil
}

func snapshotName(alliance string, seq uint64) string {
	return fmt.Sprintf("%s/%020d", alliance, seq)
}

// list returns the positions of an alliance's snapshots, ascending.
func (s *Snapshots) list(ctx context.Context, obs jetstream.ObjectStore, alliance string) ([]uint64, error) {
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	prefix := alliance + "/"
	for _, in := range infos {
		if rest, ok := strings.CutPrefix(in.Name, prefix); ok {
			if seq, err := strconv.ParseUint(rest, 10, 64); err == nil {
				seqs = append(seqs, seq)
			}
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// SaveSnapshot stores a snapshot and removes the alliance's older ones
// beyond Keep.
func (s *Snapshots) SaveSnapshot(ctx context.Context, alliance string, seq uint64, data []byte) error {
	obs, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if _, err := obs.PutBytes(ctx, snapshotName(alliance, seq), data); err != nil {
		return err
	}
	seqs, err := s.list(ctx, obs, alliance)
	if err != nil {
		return err
	}
	keep := s.Keep
	if keep <= 0 {
		keep = 2
	}
	for len(seqs) > keep {
		if err := obs.Delete(ctx, snapshotName(alliance, seqs[0])); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
		seqs = seqs[1:]
	}
	return nil
}

// LoadSnapshot returns the alliance's latest snapshot at a position <=
// atMost, or ErrNoSnapshot.
func (s *Snapshots) LoadSnapshot(ctx context.Context, alliance string, atMost uint64) (uint64, []byte, error) {
	obs, err := s.bucket(ctx)
	if err != nil {
		return 0, nil, err
	}
	seqs, err := s.list(ctx, obs, alliance)
	if err != nil {
		return 0, nil, err
	}
	for i := len(seqs) - 1; i >= 0; i-- {
		if seqs[i] > atMost {
			continue
		}
		data, err := obs.GetBytes(ctx, snapshotName(alliance, seqs[i]))
		if err != nil {
			return 0, nil, err
		}
		return seqs[i], data, nil
	}
	return 0, nil, ErrNoSnapshot
}
