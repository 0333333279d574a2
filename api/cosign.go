package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/alliance-ledger/alliance/ledger/audit"
)

func (s *Server) registerCosign() {
	s.handle("POST", alliancePath+"/audit/cosignatures", Write, s.cosign)
}

// CosignBody is a member's co-signature of a checkpoint, made on its own
// machine with its own key (alliance audit cosign, or any signed-note
// tool): the checkpoint note with the ledger's signature and the member's,
// and the member's verifier key.
type CosignBody struct {
	Note string `json:"note"`
	VKey string `json:"vkey"`
}

// cosign stores a member's co-signature after checking that the note is
// a checkpoint the ledger signed and stored, that the member's signature
// on it verifies with the key given, that the key is named for this
// member of this alliance, and that the member has not co-signed a larger
// tree with it.
func (s *Server) cosign(c *call) error {
	if c.p.Role != RoleMember {
		return forbidden("", "members co-sign checkpoints, each with its own key")
	}
	var b CosignBody
	if err := decodeStrict(c.r, &b); err != nil {
		return err
	}
	if s.cfg.VerifierKey == "" {
		return &Problem{Status: http.StatusServiceUnavailable, Title: "no audit key", Detail: "this server was started without the ledger's key"}
	}
	ledgerV, err := audit.LoadVerifier(s.cfg.VerifierKey)
	if err != nil {
		return err
	}
	memberV, err := audit.LoadVerifier(b.VKey)
	if err != nil {
		return badRequest("vkey", "%v", err)
	}
	if want := "member/" + c.alliance + "/" + c.p.Member; memberV.Name() != want {
		return badRequest("vkey", "the key is named %q; a co-signing key of this member is named %q", memberV.Name(), want)
	}
	_, cp, err := audit.OpenCheckpoint([]byte(b.Note), ledgerV)
	if err != nil {
		return badRequest("note", "%v", err)
	}
	if cp.Origin != audit.Origin(c.alliance) {
		return badRequest("note", "the checkpoint is of log %q, not %q", cp.Origin, audit.Origin(c.alliance))
	}
	names, err := audit.Cosigners([]byte(b.Note), ledgerV, []note.Verifier{memberV})
	if err != nil {
		return badRequest("note", "%v", err)
	}
	if !slices.Contains(names, memberV.Name()) {
		return badRequest("note", "the note carries no signature by %s", memberV.Name())
	}
	cps, err := audit.ReadCheckpoints(c.r.Context(), s.cfg.Store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cps, func(r audit.CheckpointRecord) bool { return r.Size == cp.Size })
	if i < 0 {
		return badRequest("note", "the ledger stored no checkpoint of tree size %d", cp.Size)
	}
	if _, stored, err := audit.OpenCheckpoint([]byte(cps[i].Note), ledgerV); err != nil || stored.Root != cp.Root {
		return badRequest("note", "the checkpoint of tree size %d does not match the one the ledger stored", cp.Size)
	}
	cos, err := audit.ReadCosignatures(c.r.Context(), s.cfg.Store.Audit(), c.alliance)
	if err != nil {
		return err
	}
	for _, co := range cos {
		if strings.TrimSpace(co.VKey) != strings.TrimSpace(b.VKey) {
			continue
		}
		if co.Size == cp.Size {
			return writeJSON(c.w, http.StatusOK, co)
		}
		if co.Size > cp.Size {
			return &Problem{Status: http.StatusConflict, Title: "conflict", Field: "note",
				Rule:   "a member co-signs ever larger trees",
				Detail: fmt.Sprintf("%s already co-signed the larger tree of size %d", c.p.Member, co.Size)}
		}
	}
	rec := audit.CosignatureRecord{Size: cp.Size, Member: c.p.Member, VKey: strings.TrimSpace(b.VKey), Note: b.Note, SignedAt: s.cfg.Now().UTC()}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.Audit().Append(c.r.Context(), c.alliance, audit.KindCosignatures, raw); err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusCreated, rec)
}
