package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
)

// Roles a principal can hold.
const (
	RoleSecretariat = "secretariat" // administers an alliance (or, with alliance "*", every one)
	RoleMember      = "member"      // a member unit: writes on its own behalf, reads aggregates and its statement
	RoleAuditor     = "auditor"     // reads and verifies everything, writes nothing
	RoleEvaluator   = "evaluator"   // reads everything, records expert ratings
)

// Roles lists the roles in the order they are documented.
var Roles = []string{RoleSecretariat, RoleMember, RoleAuditor, RoleEvaluator}

// AnyAlliance scopes a secretariat, auditor or evaluator token to every
// alliance on the ledger (the operator's own).
const AnyAlliance = "*"

// Principal is who a bearer token stands for. Its ID is recorded as the
// actor of every event it appends.
type Principal struct {
	ID        string     `json:"id"` // "tok-" + the first 12 hex digits of the token's hash
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Alliance  string     `json:"alliance"`         // an alliance id, or "*"
	Member    string     `json:"member,omitempty"` // for the member role
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Actor is how the principal is named in the events it appends:
// "role:alliance/member:name#id".
func (p *Principal) Actor() string {
	who := p.Role
	if p.Member != "" {
		who += ":" + p.Member
	}
	return who + "/" + p.Name + "#" + p.ID
}

// CanSee reports whether the principal may read alliance a at all.
func (p *Principal) CanSee(a string) bool { return p.Alliance == AnyAlliance || p.Alliance == a }

// Validate checks a principal before its token is created.
func (p *Principal) Validate() error {
	if !slices.Contains(Roles, p.Role) {
		return fmt.Errorf("role %q: want one of %s", p.Role, strings.Join(Roles, ", "))
	}
	if p.Alliance != AnyAlliance && !ledger.ValidAllianceID(p.Alliance) {
		return fmt.Errorf("alliance %q: want an alliance id, or %q for every alliance", p.Alliance, AnyAlliance)
	}
	switch {
	case p.Role == RoleMember && p.Member == "":
		return errors.New("a member token names its member (member)")
	case p.Role == RoleMember && p.Alliance == AnyAlliance:
		return errors.New("a member token belongs to one alliance, not every one")
	case p.Role != RoleMember && p.Member != "":
		return fmt.Errorf("only member tokens name a member, not %s tokens", p.Role)
	}
	if p.Name == "" || len(p.Name) > 100 || strings.ContainsAny(p.Name, "#/\n") {
		return errors.New("name the token (name: at most 100 bytes, without '#', '/' or newlines)")
	}
	return nil
}

// TokenBucket is the JetStream key-value bucket holding the tokens'
// hashes and principals. The secret itself is shown once, at creation, and
// never stored.
const TokenBucket = "ALLIANCE_TOKENS"

// tokenPrefix marks a secret as this ledger's, so that a leaked one is
// easy to recognise in logs and scanners.
const tokenPrefix = "alt_"

// Tokens maps bearer tokens to principals. Tokens are stored hashed
// (SHA-256; they are 160-bit random secrets, so a slow hash adds nothing)
// in a KV bucket shared by every instance on the same NATS, and watched,
// so that a revocation takes effect everywhere at once.
type Tokens struct {
	kv jetstream.KeyValue

	mu     sync.RWMutex
	byHash map[string]Principal // hex hash -> principal
	ready  chan struct{}
	stop   context.CancelFunc
	err    error
}

// OpenTokens opens (creating if need be) the token bucket.
func OpenTokens(ctx context.Context, js jetstream.JetStream, replicas int) (*Tokens, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      TokenBucket,
		Description: "alliance ledger API tokens (hashed)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("token bucket: %w", err)
	}
	return &Tokens{kv: kv}, nil
}

func hashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Create stores a new token for p and returns its secret.
func (t *Tokens) Create(ctx context.Context, p Principal, now time.Time) (string, Principal, error) {
	if err := p.Validate(); err != nil {
		return "", p, err
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", p, err
	}
	secret := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	h := hashToken(secret)
	p.ID = "tok-" + h[:12]
	p.CreatedAt = now.UTC().Truncate(time.Second)
	p.RevokedAt = nil
	b, err := json.Marshal(p)
	if err != nil {
		return "", p, err
	}
	if _, err := t.kv.Create(ctx, h, b); err != nil {
		return "", p, fmt.Errorf("store token: %w", err)
	}
	t.remember(h, p)
	return secret, p, nil
}

// remember updates the watched copy, if there is one, with a change this
// instance made.
func (t *Tokens) remember(hash string, p Principal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byHash != nil {
		t.byHash[hash] = p
	}
}

// List returns every token's principal, revoked ones included, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Principal, error) {
	keys, err := t.kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []Principal
	for k := range keys.Keys() {
		e, err := t.kv.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		var p Principal
		if err := json.Unmarshal(e.Value(), &p); err != nil {
			return nil, fmt.Errorf("token %s: %w", k, err)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Principal) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Revoke revokes the token with the given id ("tok-..."); revoking twice
// is not an error.
func (t *Tokens) Revoke(ctx context.Context, id string, now time.Time) (Principal, error) {
	hexPart, ok := strings.CutPrefix(id, "tok-")
	if !ok || len(hexPart) != 12 {
		return Principal{}, fmt.Errorf("token id %q: want tok- and 12 hex digits, as token list shows", id)
	}
	keys, err := t.kv.ListKeys(ctx)
	if err != nil {
		return Principal{}, err
	}
	for k := range keys.Keys() {
		if !strings.HasPrefix(k, hexPart) {
			continue
		}
		e, err := t.kv.Get(ctx, k)
		if err != nil {
			return Principal{}, err
		}
		var p Principal
		if err := json.Unmarshal(e.Value(), &p); err != nil {
			return Principal{}, err
		}
		if p.RevokedAt == nil {
			at := now.UTC().Truncate(time.Second)
			p.RevokedAt = &at
			b, _ := json.Marshal(p)
			if _, err := t.kv.Update(ctx, k, b, e.Revision()); err != nil {
				return Principal{}, fmt.Errorf("revoke %s: %w", id, err)
			}
			// This instance refuses it from now on; the others as soon as
			// their watch delivers the update.
			t.remember(k, p)
		}
		return p, nil
	}
	return Principal{}, fmt.Errorf("no token with id %s: %w", id, ledger.ErrNotFound)
}

// Watch keeps an in-memory copy of the bucket up to date until ctx ends,
// so that Lookup needs no round trip. It returns once the copy is loaded.
func (t *Tokens) Watch(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	w, err := t.kv.WatchAll(ctx)
	if err != nil {
		cancel()
		return fmt.Errorf("watch tokens: %w", err)
	}
	t.mu.Lock()
	t.byHash = map[string]Principal{}
	t.ready = make(chan struct{})
	t.stop = cancel
	t.mu.Unlock()
	go func() {
		defer w.Stop()
		loaded := false
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil { // the initial values are all in
					if !loaded {
						loaded = true
						close(t.ready)
					}
					continue
				}
				t.mu.Lock()
				if e.Operation() != jetstream.KeyValuePut {
					delete(t.byHash, e.Key())
				} else {
					var p Principal
					if json.Unmarshal(e.Value(), &p) == nil {
						t.byHash[e.Key()] = p
					}
				}
				t.mu.Unlock()
			}
		}
	}()
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops watching.
func (t *Tokens) Close() {
	if t.stop != nil {
		t.stop()
	}
}

// Lookup returns the live principal of a secret: false for an unknown or
// revoked token.
func (t *Tokens) Lookup(secret string) (Principal, bool) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Principal{}, false
	}
	h := hashToken(secret)
	t.mu.RLock()
	p, ok := t.byHash[h]
	t.mu.RUnlock()
	if !ok || p.RevokedAt != nil {
		return Principal{}, false
	}
	// The map lookup found it by the full hash; compare in constant time
	// anyway, so the check does not depend on map internals.
	want := "tok-" + h[:12]
	if subtle.ConstantTimeCompare([]byte(p.ID), []byte(want)) != 1 {
		return Principal{}, false
	}
	return p, true
}
