package natsstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// AuditStream is the JetStream stream holding every alliance's signed
// checkpoints and members' co-signatures, next to the logs they vouch
// for: subjects audit.<alliance>.checkpoints and
// audit.<alliance>.cosignatures. Like the logs it denies deletes and
// purges and has no limits: a checkpoint once published stays.
const AuditStream = "ALLIANCE_AUDIT"

// Audit record kinds, the last token of their subject.
const (
	AuditCheckpoints  = "checkpoints"
	AuditCosignatures = "cosignatures"
)

// AuditSubject is the subject of an alliance's audit records of a kind.
func AuditSubject(alliance, kind string) string { return "audit." + alliance + "." + kind }

// Audit stores audit records (opaque bytes) in the AuditStream.
type Audit struct {
	js       jetstream.JetStream
	replicas int

	mu     sync.Mutex
	stream jetstream.Stream
}

// Audit returns the audit record store on the store's connection.
func (s *Store) Audit() *Audit { return &Audit{js: s.js, replicas: s.opts.Replicas} }

func (a *Audit) open(ctx context.Context) (jetstream.Stream, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stream != nil {
		return a.stream, nil
	}
	st, err := a.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        AuditStream,
		Description: "alliance ledger signed checkpoints and co-signatures",
		Subjects:    []string{"audit.*.*"},
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(a.replicas, 1),
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("audit stream: %w", err)
	}
	a.stream = st
	return st, nil
}

// Append publishes one record durably and returns its stream sequence.
func (a *Audit) Append(ctx context.Context, alliance, kind string, data []byte) (uint64, error) {
	if _, err := a.open(ctx); err != nil {
		return 0, err
	}
	ack, err := a.js.Publish(ctx, AuditSubject(alliance, kind), data)
	if err != nil {
		return 0, fmt.Errorf("alliance %s: publish %s: %w", alliance, kind, err)
	}
	return ack.Sequence, nil
}

// Read calls fn with each record of the alliance's kind, oldest first.
func (a *Audit) Read(ctx context.Context, alliance, kind string, fn func(data []byte) error) error {
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	subj := AuditSubject(alliance, kind)
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		return fmt.Errorf("alliance %s: %s: %w", alliance, kind, err)
	}
	want := info.State.Subjects[subj]
	if want == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		return fmt.Errorf("alliance %s: read %s: %w", alliance, kind, err)
	}
	defer func() {
		if ci := cons.CachedInfo(); ci != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_ = a.js.DeleteConsumer(dctx, AuditStream, ci.Name)
		}
	}()
	for got := uint64(0); got < want; {
		batch, err := cons.Fetch(int(min(want-got, 500)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("alliance %s: read %s: %w", alliance, kind, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if err := fn(m.Data()); err != nil {
				return err
			}
			if meta, err := m.Metadata(); err == nil && meta.NumPending == 0 {
				got = want
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("alliance %s: read %s: %w", alliance, kind, err)
		}
		if n == 0 {
			return fmt.Errorf("alliance %s: read %s: %d records expected, %d read", alliance, kind, want, got)
		}
		got += uint64(n)
	}
	return nil
}

// Last returns the alliance's latest record of a kind, nil if there is none.
func (a *Audit) Last(ctx context.Context, alliance, kind string) ([]byte, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	m, err := st.GetLastMsgForSubject(ctx, AuditSubject(alliance, kind))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alliance %s: latest %s: %w", alliance, kind, err)
	}
	return m.Data, nil
}
