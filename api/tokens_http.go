package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/alliance-ledger/alliance/ledger"
)

// Token management over HTTP, for the secretariat: an operator token
// (secretariat of "*") manages every token; an alliance's secretariat
// manages the tokens of its alliance.
func (s *Server) registerTokens() {
	s.handle("GET", "/v1/tokens", Read, s.listTokens)
	s.handle("POST", "/v1/tokens", Write, s.createToken)
	s.handle("DELETE", "/v1/tokens/{id}", Write, s.revokeToken)
}

func manages(p *Principal, alliance string) bool {
	return p.Role == RoleSecretariat && (p.Alliance == AnyAlliance || p.Alliance == alliance)
}

func (s *Server) listTokens(c *call) error {
	if c.p.Role != RoleSecretariat {
		return forbidden("", "tokens are managed by the secretariat")
	}
	ps, err := s.cfg.Tokens.List(c.r.Context())
	if err != nil {
		return err
	}
	ps = slices.DeleteFunc(ps, func(p Principal) bool { return !manages(c.p, p.Alliance) })
	if ps == nil {
		ps = []Principal{}
	}
	return writeJSON(c.w, http.StatusOK, Page[Principal]{Items: ps})
}

// TokenBody is the body of a token creation.
type TokenBody struct {
	// The token's role.
	Role string `json:"role"`
	// An alliance id, or "*" for every alliance (not for members).
	Alliance string `json:"alliance"`
	// The member a member token stands for (member tokens only).
	Member string `json:"member,omitempty"`
	// The token's name (at most 100 bytes, without '#', '/' or newlines);
	// it appears in the actor of every event the token appends.
	Name string `json:"name"`
}

// CreatedToken is a new token: its principal and, this once, its secret.
type CreatedToken struct {
	Principal
	Token string `json:"token"`
}

func (s *Server) createToken(c *call) error {
	if c.p.Role != RoleSecretariat {
		return forbidden("", "tokens are managed by the secretariat")
	}
	var p Principal
	dec := json.NewDecoder(c.r.Body)
	dec.DisallowUnknownFields()
	var body TokenBody
	if err := dec.Decode(&body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("", "the body does not decode: %v", err)
	}
	p = Principal{Role: body.Role, Alliance: body.Alliance, Member: body.Member, Name: body.Name}
	if !manages(c.p, p.Alliance) {
		return forbidden("alliance", "a token for alliance %q is created by its secretariat or the operator", p.Alliance)
	}
	if err := p.Validate(); err != nil {
		return badRequest("", "%v", err)
	}
	secret, p, err := s.cfg.Tokens.Create(c.r.Context(), p, s.cfg.Now())
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusCreated, CreatedToken{Principal: p, Token: secret})
}

func (s *Server) revokeToken(c *call) error {
	if c.p.Role != RoleSecretariat {
		return forbidden("", "tokens are managed by the secretariat")
	}
	id := c.r.PathValue("id")
	ps, err := s.cfg.Tokens.List(c.r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ps, func(p Principal) bool { return p.ID == id })
	if i < 0 {
		return notFound("there is no token %q", id)
	}
	if !manages(c.p, ps[i].Alliance) {
		return forbidden("id", "token %s is for alliance %q; its secretariat or the operator revokes it", id, ps[i].Alliance)
	}
	p, err := s.cfg.Tokens.Revoke(c.r.Context(), id, s.cfg.Now())
	if errors.Is(err, ledger.ErrNotFound) {
		return notFound("there is no token %q", id)
	}
	if err != nil {
		return err
	}
	return writeJSON(c.w, http.StatusOK, p)
}
