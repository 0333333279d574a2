package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections/verify"
)

// ledgerKeyName names the ledger's signatures on checkpoints.
const ledgerKeyName = "alliance-ledger"

// Checkpoint policy of the processes that append: every this many events,
// or when the last checkpoint is this old and events are waiting.
const (
	checkpointEvery    = 1000
	checkpointInterval = 10 * time.Minute
)

// keyFlags locate the ledger's signing key.
type keyFlags struct{ path string }

func (f *keyFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.path, "key", getenv("ALLIANCE_KEY"), "the ledger's checkpoint signing key file (default DATA/keys/ledger.key, created with mode 0600 on first use)")
}

func (f *keyFlags) load(sf storeFlags) (note.Signer, string, bool, error) {
	path := f.path
	if path == "" {
		path = filepath.Join(sf.data, "keys", "ledger.key")
	}
	s, vkey, created, err := audit.LoadOrCreateKey(path, ledgerKeyName)
	if err != nil {
		return nil, "", false, fmt.Errorf("ledger signing key: %w", err)
	}
	return s, vkey, created, nil
}

// newCheckpointer returns the alliance's checkpointer on the opened ledger,
// not loaded yet.
func (lc *ledgerConn) newCheckpointer(alliance string, signer note.Signer) *audit.Checkpointer {
	return &audit.Checkpointer{Alliance: alliance, Signer: signer, Records: lc.store.Audit(),
		Every: checkpointEvery, Interval: checkpointInterval,
		Read: func(ctx context.Context, from uint64, fn func(uint64, []byte) error) error {
			return lc.store.Read(ctx, alliance, from, func(st ledger.Stored) error { return fn(st.Seq, st.Data) })
		}}
}

// checkpointer returns the alliance's checkpointer on the opened ledger,
// with its tree rebuilt from the log.
func (lc *ledgerConn) checkpointer(ctx context.Context, alliance string, signer note.Signer) (*audit.Checkpointer, error) {
	c := lc.newCheckpointer(alliance, signer)
	if err := c.Load(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// checkpointIfDue signs a checkpoint of the alliance's log if one is due
// (after appending). It reads the latest checkpoint record and the log's
// length first, and rebuilds the tree only when a checkpoint is due. A
// failure is reported, not fatal: the events are in.
func checkpointIfDue(ctx context.Context, e *env, lc *ledgerConn, sf storeFlags, kf keyFlags, alliance string) {
	err := func() error {
		signer, _, _, err := kf.load(sf)
		if err != nil {
			return err
		}
		c := lc.newCheckpointer(alliance, signer)
		if err := c.LoadLatest(ctx); err != nil {
			return err
		}
		last, err := lc.store.Last(ctx, alliance)
		if err != nil || !c.DueFor(int64(last), time.Now()) {
			return err
		}
		if err := c.Load(ctx); err != nil {
			return err
		}
		_, _, err = c.Checkpoint(ctx, time.Now())
		return err
	}()
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: no checkpoint signed: %v\n", err)
	}
}

func runAudit(ctx context.Context, e *env, args []string) error {
	usage := "Usage: alliance audit key|checkpoint|checkpoints|prove|cosign|export [flags]"
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "key":
		return runAuditKey(ctx, e, args[1:])
	case "checkpoint":
		return runAuditCheckpoint(ctx, e, args[1:])
	case "checkpoints":
		return runAuditCheckpoints(ctx, e, args[1:])
	case "prove":
		return runAuditProve(ctx, e, args[1:])
	case "cosign":
		return runAuditCosign(ctx, e, args[1:])
	case "export":
		return runAuditExport(ctx, e, args[1:])
	}
	fmt.Fprintln(e.stderr, usage)
	return fmt.Errorf("unknown audit subcommand %q", args[0])
}

// auditCmd parses an audit subcommand's flags and opens the ledger.
type auditCmd struct {
	sf       storeFlags
	kf       keyFlags
	alliance string
	asJSON   bool
	fs       *flag.FlagSet
}

func newAuditCmd(e *env, name, usage, about string) *auditCmd {
	c := &auditCmd{fs: flag.NewFlagSet("audit "+name, flag.ContinueOnError)}
	c.fs.SetOutput(e.stderr)
	c.sf.register(c.fs, e.getenv)
	c.kf.register(c.fs, e.getenv)
	c.fs.StringVar(&c.alliance, "alliance", e.getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID)")
	c.fs.BoolVar(&c.asJSON, "json", false, "print JSON")
	c.fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: alliance audit %s\n\n%s\n\nFlags:\n", usage, about)
		c.fs.PrintDefaults()
	}
	return c
}

func (c *auditCmd) parse(args []string, needAlliance bool) ([]string, error) {
	pos, err := parseInterleaved(c.fs, args)
	if err != nil {
		return nil, err
	}
	if needAlliance && c.alliance == "" {
		return nil, errors.New("name the alliance with --alliance or $ALLIANCE_ID")
	}
	return pos, nil
}

// openLog loads the ledger's signing key, opens the ledger and rebuilds
// the alliance's tree from its log. The caller closes lc.
func (c *auditCmd) openLog(ctx context.Context, e *env) (lc *ledgerConn, cp *audit.Checkpointer, vkey string, err error) {
	signer, vkey, _, err := c.kf.load(c.sf)
	if err != nil {
		return nil, nil, "", err
	}
	if lc, err = c.sf.open(ctx, e); err != nil {
		return nil, nil, "", err
	}
	if cp, err = lc.checkpointer(ctx, c.alliance, signer); err != nil {
		lc.Close()
		return nil, nil, "", err
	}
	return lc, cp, vkey, nil
}

func runAuditKey(ctx context.Context, e *env, args []string) error {
	c := newAuditCmd(e, "key", "key [flags]", "Prints the ledger's checkpoint signing key: its note verifier key (give it to members and\nauditors) and where it is kept. The key is created on first use, readable by its owner only.")
	vkeyOnly := c.fs.Bool("vkey-only", false, "print only the verifier key (for scripts: VKEY=$(alliance audit key --vkey-only))")
	if _, err := c.parse(args, false); err != nil {
		return err
	}
	_, vkey, created, err := c.kf.load(c.sf)
	if err != nil {
		return err
	}
	path := c.kf.path
	if path == "" {
		path = filepath.Join(c.sf.data, "keys", "ledger.key")
	}
	if *vkeyOnly {
		fmt.Fprintln(e.stdout, vkey)
		return nil
	}
	if c.asJSON {
		return printJSON(e.stdout, map[string]any{"vkey": vkey, "name": ledgerKeyName, "path": path, "created": created})
	}
	if created {
		fmt.Fprintf(e.stdout, "created a new signing key in %s (mode 0600)\n", path)
	}
	fmt.Fprintf(e.stdout, "verifier key: %s\n", vkey)
	fmt.Fprintf(e.stdout, "signer name:  %s\nkey file:     %s\n", ledgerKeyName, path)
	return nil
}

func runAuditCheckpoint(ctx context.Context, e *env, args []string) error {
	c := newAuditCmd(e, "checkpoint", "checkpoint [flags]", "Signs a checkpoint of the alliance's log now (tree size and root, C2SP tlog-checkpoint in a signed\nnote) and stores it in the audit stream. Nothing is signed if nothing was appended since the last one.")
	if _, err := c.parse(args, true); err != nil {
		return err
	}
	lc, cp, _, err := c.openLog(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	rec, signed, err := cp.Checkpoint(ctx, time.Now())
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(e.stdout, map[string]any{"signed": signed, "size": rec.Size, "note": rec.Note})
	}
	if signed {
		fmt.Fprintf(e.stdout, "signed checkpoint of tree size %d:\n\n%s", rec.Size, rec.Note)
	} else {
		fmt.Fprintf(e.stdout, "nothing appended since the checkpoint of tree size %d:\n\n%s", rec.Size, rec.Note)
	}
	return nil
}

func runAuditCheckpoints(ctx context.Context, e *env, args []string) error {
	c := newAuditCmd(e, "checkpoints", "checkpoints [flags]", "Lists the alliance's signed checkpoints and who co-signed each.")
	if _, err := c.parse(args, true); err != nil {
		return err
	}
	lc, err := c.sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	cps, err := audit.ReadCheckpoints(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	cos, err := audit.ReadCosignatures(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	type row struct {
		Size     int64     `json:"size"`
		Root     string    `json:"root"`
		SignedAt time.Time `json:"signed_at"`
		Cosigned []string  `json:"cosigned_by"`
		Note     string    `json:"note"`
	}
	var rows []row
	for _, r := range cps {
		cp, err := audit.ParseCheckpoint([]byte(strings.SplitN(r.Note, "\n\n", 2)[0] + "\n"))
		if err != nil {
			return fmt.Errorf("checkpoint of size %d: %w", r.Size, err)
		}
		rw := row{Size: r.Size, Root: cp.Root.String(), SignedAt: r.SignedAt, Cosigned: []string{}, Note: r.Note}
		for _, co := range cos {
			if co.Size == r.Size {
				rw.Cosigned = append(rw.Cosigned, co.Member)
			}
		}
		rows = append(rows, rw)
	}
	if c.asJSON {
		return printJSON(e.stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.stdout, "no checkpoints of alliance %s yet (alliance audit checkpoint signs one)\n", c.alliance)
	}
	for _, r := range rows {
		by := "not co-signed"
		if len(r.Cosigned) > 0 {
			by = "co-signed by " + strings.Join(r.Cosigned, ", ")
		}
		fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\n", r.Size, r.SignedAt.Format(time.RFC3339), r.Root, by)
	}
	return nil
}

// latestFor returns the latest checkpoint record whose size is at least n.
func latestAtLeast(cps []audit.CheckpointRecord, n int64) *audit.CheckpointRecord {
	for i := range cps {
		if cps[i].Size >= n {
			return &cps[i]
		}
	}
	return nil
}

func runAuditProve(ctx context.Context, e *env, args []string) error {
	var seq uint64
	var size, from, to int64
	c := newAuditCmd(e, "prove", "prove --seq N [--size S] | --from S1 --to S2",
		"Proves that the event at position N is in the log of a signed checkpoint (by default the first one that\n"+
			"covers it), or that the log of the checkpoint of size S2 extends the one of size S1. Prints JSON that\n"+
			"golang.org/x/mod/sumdb/tlog's CheckRecord / CheckTree verify; with the event's bytes and the\n"+
			"checkpoint notes.")
	c.fs.Uint64Var(&seq, "seq", 0, "the event's position")
	c.fs.Int64Var(&size, "size", 0, "the tree size of the checkpoint to prove inclusion in")
	c.fs.Int64Var(&from, "from", 0, "consistency: the older checkpoint's tree size")
	c.fs.Int64Var(&to, "to", 0, "consistency: the newer checkpoint's tree size (default: the latest)")
	if _, err := c.parse(args, true); err != nil {
		return err
	}
	if (seq == 0) == (from == 0) {
		return errors.New("give --seq N for an inclusion proof, or --from S1 [--to S2] for a consistency proof")
	}
	lc, cpr, _, err := c.openLog(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	cps, err := audit.ReadCheckpoints(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	bySize := func(n int64) (*audit.CheckpointRecord, error) {
		for i := range cps {
			if cps[i].Size == n {
				return &cps[i], nil
			}
		}
		return nil, fmt.Errorf("there is no signed checkpoint of tree size %d (alliance audit checkpoints lists them)", n)
	}
	tree := cpr.Tree()
	if seq != 0 {
		var rec *audit.CheckpointRecord
		if size != 0 {
			if rec, err = bySize(size); err != nil {
				return err
			}
		} else if rec = latestAtLeast(cps, int64(seq)); rec == nil {
			return fmt.Errorf("no signed checkpoint covers position %d yet (alliance audit checkpoint signs one)", seq)
		}
		if int64(seq) > rec.Size {
			return fmt.Errorf("position %d is not in the checkpoint of tree size %d", seq, rec.Size)
		}
		p, err := tree.Inclusion(seq, rec.Size)
		if err != nil {
			return err
		}
		var event []byte
		err = lc.store.Read(ctx, c.alliance, seq, func(st ledger.Stored) error {
			if st.Seq == seq {
				event = append([]byte(nil), st.Data...)
				return errStopRead
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopRead) {
			return err
		}
		if err := p.Verify(event); err != nil {
			return fmt.Errorf("the proof does not check: %w", err)
		}
		// The event's exact stored bytes, as a string: re-indenting them
		// would change the leaf they hash to.
		return printJSON(e.stdout, map[string]any{"inclusion": p, "event": string(event), "checkpoint": rec.Note})
	}
	if to == 0 {
		if len(cps) == 0 {
			return errors.New("there are no signed checkpoints yet")
		}
		to = cps[len(cps)-1].Size
	}
	older, err := bySize(from)
	if err != nil {
		return err
	}
	newer, err := bySize(to)
	if err != nil {
		return err
	}
	p, err := tree.Consistency(from, to)
	if err != nil {
		return err
	}
	if err := p.Verify(); err != nil {
		return fmt.Errorf("the proof does not check: %w", err)
	}
	return printJSON(e.stdout, map[string]any{"consistency": p, "old_checkpoint": older.Note, "new_checkpoint": newer.Note})
}

var errStopRead = errors.New("stop reading")

func runAuditCosign(ctx context.Context, e *env, args []string) error {
	var member, memberKey string
	var size int64
	c := newAuditCmd(e, "cosign", "cosign --member M [--member-key FILE] [--size S]",
		"A member co-signs a checkpoint (by default the latest) after checking that the ledger signed it and that it\n"+
			"extends the last checkpoint the member co-signed, by a consistency proof. The member's key is created\n"+
			"on first use (mode 0600); its verifier key is stored with the co-signature.")
	c.fs.StringVar(&member, "member", "", "the co-signing member")
	c.fs.StringVar(&memberKey, "member-key", "", "the member's signing key file (default DATA/keys/member-<M>.key)")
	c.fs.Int64Var(&size, "size", 0, "tree size of the checkpoint to co-sign (default: the latest)")
	if _, err := c.parse(args, true); err != nil {
		return err
	}
	if member == "" {
		return errors.New("name the co-signing member with --member")
	}
	if memberKey == "" {
		memberKey = filepath.Join(c.sf.data, "keys", "member-"+member+".key")
	}
	msigner, mvkey, _, err := audit.LoadOrCreateKey(memberKey, "member/"+c.alliance+"/"+member)
	if err != nil {
		return fmt.Errorf("member key: %w", err)
	}
	lc, cpr, vkey, err := c.openLog(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	ledgerV, err := audit.LoadVerifier(vkey)
	if err != nil {
		return err
	}
	cps, err := audit.ReadCheckpoints(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	if len(cps) == 0 {
		return errors.New("there are no signed checkpoints to co-sign yet")
	}
	target := &cps[len(cps)-1]
	if size != 0 {
		if target = latestAtLeast(cps, size); target == nil || target.Size != size {
			return fmt.Errorf("there is no signed checkpoint of tree size %d", size)
		}
	}
	if _, cp, err := audit.OpenCheckpoint([]byte(target.Note), ledgerV); err != nil {
		return fmt.Errorf("not co-signed: %w", err)
	} else if cp.Origin != audit.Origin(c.alliance) {
		return fmt.Errorf("not co-signed: the checkpoint is of log %q, not %q", cp.Origin, audit.Origin(c.alliance))
	}
	cos, err := audit.ReadCosignatures(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	var prev *audit.Checkpoint
	for _, co := range cos {
		if co.VKey != mvkey {
			continue
		}
		if co.Size == target.Size {
			fmt.Fprintf(e.stdout, "%s already co-signed the checkpoint of tree size %d\n", member, co.Size)
			return nil
		}
		if _, cp, err := audit.OpenCheckpoint([]byte(co.Note), ledgerV); err == nil && (prev == nil || cp.Size > prev.Size) {
			p := cp
			prev = &p
		}
	}
	if prev != nil && prev.Size > target.Size {
		return fmt.Errorf("%s already co-signed the larger tree of size %d; co-sign a later checkpoint", member, prev.Size)
	}
	var proofFrom int64
	if prev != nil {
		proofFrom = prev.Size
	}
	var proof []byte
	var msg []byte
	if prev != nil {
		p, err := cpr.Tree().Consistency(proofFrom, target.Size)
		if err != nil {
			return err
		}
		msg, err = audit.CoSign([]byte(target.Note), ledgerV, prev, p.Proof, msigner)
		if err != nil {
			return fmt.Errorf("not co-signed: %w", err)
		}
		proof, _ = json.Marshal(p)
	} else if msg, err = audit.CoSign([]byte(target.Note), ledgerV, nil, nil, msigner); err != nil {
		return fmt.Errorf("not co-signed: %w", err)
	}
	rec := audit.CosignatureRecord{Size: target.Size, Member: member, VKey: mvkey, Note: string(msg), SignedAt: time.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := lc.store.Audit().Append(ctx, c.alliance, audit.KindCosignatures, b); err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(e.stdout, map[string]any{"cosignature": rec, "consistency_proof": json.RawMessage(orNull(proof))})
	}
	if prev != nil {
		fmt.Fprintf(e.stdout, "%s co-signed the checkpoint of tree size %d, after checking it extends size %d\n", member, target.Size, prev.Size)
	} else {
		fmt.Fprintf(e.stdout, "%s co-signed the checkpoint of tree size %d (its first)\n", member, target.Size)
	}
	fmt.Fprintf(e.stdout, "member verifier key: %s\n", mvkey)
	return nil
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

func runAuditExport(ctx context.Context, e *env, args []string) error {
	var out string
	c := newAuditCmd(e, "export", "export --out DIR|FILE.tar.gz [flags]",
		"Writes a self-contained audit pack of the alliance's log: every event's stored bytes, the signed\n"+
			"checkpoints, the co-signatures, the ledger's verifier key and a README on how to verify it.\n"+
			"A checkpoint of the whole log is signed first. Check it offline with: alliance verify --pack PATH")
	c.fs.StringVar(&out, "out", "", "the directory, or the .tar.gz archive, to write")
	if _, err := c.parse(args, true); err != nil {
		return err
	}
	if out == "" {
		return errors.New("name the pack to write with --out")
	}
	lc, cpr, vkey, err := c.openLog(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	if _, _, err := cpr.Checkpoint(ctx, time.Now()); err != nil {
		return err
	}
	cps, err := audit.ReadCheckpoints(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	cos, err := audit.ReadCosignatures(ctx, lc.store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	size := cpr.Tree().Size()
	root, err := cpr.Tree().Root(size)
	if err != nil {
		return err
	}
	bar := newProgress(e.stderr, "exporting "+c.alliance, int(size))
	m := audit.Manifest{Format: audit.PackFormat, Alliance: c.alliance, Origin: audit.Origin(c.alliance), Events: size,
		Root: root.String(), LedgerKey: vkey, ExportedAt: time.Now().UTC().Truncate(time.Second)}
	err = audit.WritePack(out, audit.PackContent{Manifest: m, Checkpoints: cps, Cosignatures: cos,
		Events: func(emit func([]byte) error) error {
			return lc.store.Read(ctx, c.alliance, 1, func(st ledger.Stored) error {
				if st.Seq > uint64(size) {
					return errStopRead
				}
				if st.Seq%4096 == 0 {
					bar.Set(int(st.Seq))
				}
				return emit(st.Data)
			})
		}})
	bar.Done()
	if errors.Is(err, errStopRead) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("write the audit pack: %w", err)
	}
	fmt.Fprintf(e.stdout, "audit pack of %s written to %s: %d events, %d checkpoints, %d co-signatures, root %s\n", c.alliance, out, size, len(cps), len(cos), m.Root)
	return nil
}

// storeSource is a verify.Source on the live store.
type storeSource struct {
	lc       *ledgerConn
	alliance string
	last     uint64
	skipped  []verify.Problem
}

func (s *storeSource) Events(ctx context.Context, fn func(uint64, []byte) error) error {
	s.lc.mu.Lock()
	s.lc.onQuarantine = func(q natsstore.Quarantined) {
		if q.Alliance == s.alliance {
			s.skipped = append(s.skipped, verify.Problem{Seq: s.last + 1,
				What: fmt.Sprintf("stream message %d is not a commit at its place in the log: %s", q.StreamSeq, q.Reason)})
		}
	}
	s.lc.mu.Unlock()
	return s.lc.store.Read(ctx, s.alliance, 1, func(st ledger.Stored) error {
		s.last = st.Seq
		return fn(st.Seq, st.Data)
	})
}

// StableData: a store's event bytes are never modified after the append
// (ledger.Stored), so the verifier need not copy them.
func (s *storeSource) StableData() bool { return true }

func (s *storeSource) Checkpoints(ctx context.Context) ([]audit.CheckpointRecord, error) {
	return audit.ReadCheckpoints(ctx, s.lc.store.Audit(), s.alliance)
}

func (s *storeSource) Cosignatures(ctx context.Context) ([]audit.CosignatureRecord, error) {
	return audit.ReadCosignatures(ctx, s.lc.store.Audit(), s.alliance)
}

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	var kf keyFlags
	kf.register(fs, e.getenv)
	alliance := fs.String("alliance", e.getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID; every alliance of the store when empty)")
	pack := fs.String("pack", "", "verify this audit pack (directory or .tar.gz) offline instead of the store")
	vkeyFlag := fs.String("vkey", "", "the ledger's verifier key to check checkpoints against, or @FILE holding it (default: the key of --key, or the pack's own)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance verify [--alliance ID] [--pack PATH] [flags]\n\nReplays the log, recomputes the Merkle tree, checks every signed checkpoint and co-signature against it,")
		fmt.Fprintln(e.stderr, "re-validates every event against the state before it and recomputes every committed payout. Prints")
		fmt.Fprintln(e.stderr, "\"ok\" with the figures, or the first position where something does not hold (exit status 1).\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if strings.HasPrefix(*vkeyFlag, "@") {
		b, err := os.ReadFile((*vkeyFlag)[1:])
		if err != nil {
			return fmt.Errorf("--vkey: %w", err)
		}
		*vkeyFlag = strings.TrimSpace(string(b))
	}
	var reports []*verify.Report
	if *pack != "" {
		p, err := audit.OpenPack(*pack)
		if err != nil {
			return err
		}
		key := *vkeyFlag
		if key == "" {
			key = p.Key
			fmt.Fprintf(e.stderr, "checking checkpoints against the key in the pack (%s); pass --vkey to pin the key you trust\n", key)
		}
		bar := newProgress(e.stderr, "verifying "+p.Manifest.Alliance, int(p.Manifest.Events))
		r, err := verify.Verify(ctx, p.Manifest.Alliance, p, verify.Options{LedgerKey: key, Progress: func(s uint64) { bar.Set(int(s)) }})
		bar.Done()
		if err != nil {
			return err
		}
		if uint64(p.Manifest.Events) != r.Events {
			r.Add(verify.Problem{Seq: min(uint64(p.Manifest.Events), r.Events) + 1, What: fmt.Sprintf("the manifest counts %d events, the pack holds %d", p.Manifest.Events, r.Events)})
		}
		reports = append(reports, r)
	} else {
		key := *vkeyFlag
		if key == "" {
			_, vkey, _, err := kf.load(sf)
			if err != nil {
				return err
			}
			key = vkey
		}
		lc, err := sf.open(ctx, e)
		if err != nil {
			return err
		}
		defer lc.Close()
		ids, err := lc.alliances(ctx, *alliance)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return fmt.Errorf("no alliance has a log in %s", sf.where())
		}
		for _, id := range ids {
			last, err := lc.store.Last(ctx, id)
			if err != nil {
				return err
			}
			src := &storeSource{lc: lc, alliance: id}
			bar := newProgress(e.stderr, "verifying "+id, int(last))
			r, err := verify.Verify(ctx, id, src, verify.Options{LedgerKey: key, Progress: func(s uint64) { bar.Set(int(s)) }})
			bar.Done()
			if err != nil {
				return err
			}
			r.Add(src.skipped...)
			reports = append(reports, r)
		}
	}
	failed := 0
	for _, r := range reports {
		if !r.OK {
			failed++
		}
	}
	if *asJSON {
		var v any = reports
		if len(reports) == 1 {
			v = reports[0]
		}
		if err := printJSON(e.stdout, v); err != nil {
			return err
		}
	} else {
		for _, r := range reports {
			if r.OK {
				fmt.Fprintf(e.stdout, "ok  %s: %d events, root %s, %d checkpoints, %d co-signatures, %d payouts recomputed (%.0f events/s)\n",
					r.Alliance, r.Events, r.Root, r.Checkpoints, r.Cosignatures, r.Payouts, r.EventsPerSec)
				continue
			}
			fmt.Fprintf(e.stdout, "FAIL %s: first problem at position %d: %s\n", r.Alliance, r.First.Seq, r.First.What)
			for _, p := range r.Problems[1:] {
				fmt.Fprintf(e.stdout, "  then at %d: %s\n", p.Seq, p.What)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d alliances do not verify", failed, len(reports))
	}
	return nil
}
