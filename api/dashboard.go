package api

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// The dashboard is server-rendered HTML in Chinese and English: one
// layout, a page template each, one stylesheet, charts drawn as inline
// SVG on the server. It has no JavaScript at all, so it reads the same
// with scripts disabled. It shows what the JSON API shows under the same
// permissions: a member sees the alliance's aggregates and its own
// statement, not another member's.

//go:embed web
var webFS embed.FS

// dashboardCSP allows the page's own stylesheet and nothing else: there
// are no scripts, no inline styles and no third-party resources.
const dashboardCSP = "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// langCookie remembers the language chosen with ?lang=.
const langCookie = "lang"

// pageTemplates holds each page parsed with the shared layout.
var pageTemplates = mustParsePages()

func mustParsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Option("missingkey=error").Funcs(templateFuncs).ParseFS(webFS, "web/layout.html"))
	files, err := fs.Glob(webFS, "web/pages/*.html")
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("dashboard: no page templates (%v)", err))
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		t := template.Must(template.Must(base.Clone()).ParseFS(webFS, f))
		out[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return out
}

var templateFuncs = template.FuncMap{
	"money":  formatMoney,
	"int":    func(n int) string { return formatInt(int64(n)) },
	"int64":  formatInt,
	"uint":   func(n uint64) string { return strconv.FormatUint(n, 10) },
	"pct":    formatPercent,
	"ratio":  formatRatio,
	"units":  formatUnits,
	"exact":  func(r ledger.Ratio) string { return r.String() },
	"seqs":   joinPositions,
	"fixed2": func(r ledger.Ratio) string { return r.Rat().FloatString(2) },
	"row":    amountsOf,
}

// amountsRow is a balance row's amounts with the owner its figures are
// named by: a member id, "total" or "common".
type amountsRow struct {
	Owner string
	A     projections.Amounts
}

func amountsOf(owner string, a any) (amountsRow, error) {
	switch a := a.(type) {
	case projections.Amounts:
		return amountsRow{owner, a}, nil
	case *projections.Amounts:
		return amountsRow{owner, *a}, nil
	}
	return amountsRow{}, fmt.Errorf("row: %T is not an amount", a)
}

// joinPositions lists log positions, shortened when long.
func joinPositions(ps []uint64) string {
	var parts []string
	for i, p := range ps {
		if i == 12 {
			parts = append(parts, fmt.Sprintf("… +%d", len(ps)-12))
			break
		}
		parts = append(parts, strconv.FormatUint(p, 10))
	}
	return strings.Join(parts, ", ")
}

func (s *Server) registerDashboard() {
	s.mux.HandleFunc("GET /static/{file}", serveStatic)
	s.mux.HandleFunc("GET /login", s.loginGet)
	s.mux.HandleFunc("POST /login", s.loginPost)
	s.mux.HandleFunc("GET /logout", s.logout)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.page("GET /{$}", "", s.pageHome)
	s.page("GET /a/{alliance}", "overview", s.pageOverview)
	s.page("GET /a/{alliance}/members", "members", s.pageMembers)
	s.page("GET /a/{alliance}/members/{member}", "members", s.pageStatement)
	s.page("GET /a/{alliance}/projects", "projects", s.pageProjects)
	s.page("GET /a/{alliance}/projects/{project}", "projects", s.pageProject)
	s.page("GET /a/{alliance}/outputs", "outputs", s.pageOutputs)
	s.page("GET /a/{alliance}/payouts", "payouts", s.pagePayouts)
	s.page("GET /a/{alliance}/payouts/{seq}", "payouts", s.pagePayout)
	s.page("GET /a/{alliance}/evaluation", "evaluation", s.pageEvaluation)
	s.page("GET /a/{alliance}/audit", "audit", s.pageAudit)
}

// serveStatic serves the stylesheet (and any other file under web/static).
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := webFS.ReadFile("web/static/" + name)
	if err != nil || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

// setPageHeaders sets the security headers of every dashboard response.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// ---- Language ----

// pickLang chooses the page's language: ?lang= (remembered in a cookie),
// else the cookie, else Accept-Language, else Chinese.
func pickLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// acceptLang picks zh or en from an Accept-Language header by weight;
// Chinese when neither is named.
func acceptLang(h string) string {
	best, bestQ := "zh", -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		var l string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = "zh"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = "en"
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

func otherLang(l string) string {
	if l == "zh" {
		return "en"
	}
	return "zh"
}

// ---- Pages ----

// navItem is a link of the alliance's navigation.
type navItem struct {
	Key, Href, Label string
	Active           bool
}

// pageData is what the layout and every page template get. Page holds
// the page's own data.
type pageData struct {
	Lang, OtherLang, HTMLLang string
	SwitchURL                 string
	LatestURL                 string // this page without as_of_seq
	Title                     string
	Principal                 *Principal
	Who                       string
	Next                      string // the login form's next

	AllianceID, AllianceName string
	Nav                      []navItem
	LastSeq                  uint64 // the log's last position
	AsOfSeq                  uint64 // the position the page is pinned to, if any
	Period                   string // the business period shown, if any
	PeriodForm               bool   // whether the filter form offers a period
	Keep                     []keepParam

	Page any

	page  string
	cat   map[string]string
	loc   *time.Location
	names map[string]projections.MemberFact
}

// keepParam is a query parameter the filter form passes on.
type keepParam struct{ Name, Value string }

// T is the catalogue's text for key in the page's language; a missing key
// fails the page (the tests render every page in both languages).
func (d *pageData) T(key string) (string, error) {
	if s, ok := d.cat[key]; ok {
		return s, nil
	}
	return "", fmt.Errorf("dashboard: no %q in the %s catalogue", key, d.Lang)
}

// E is the label of an enumerated value (a contribution kind, an IP type,
// ...) in the page's language; an unknown value shows as itself.
func (d *pageData) E(group, value string) string {
	if s, ok := enumLabels[d.Lang][group+"."+value]; ok {
		return s
	}
	return value
}

// MemberName is a member's name in the page's language.
func (d *pageData) MemberName(id string) string {
	mf, ok := d.names[id]
	if !ok {
		return ""
	}
	if d.Lang == "en" && mf.NameEN != "" {
		return mf.NameEN
	}
	return mf.Name
}

// Date is a time as a date in the alliance's time zone.
func (d *pageData) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := d.loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02")
}

// Href is an alliance page's link, pinned to the same position as this one.
func (d *pageData) Href(p string) string {
	u := "/a/" + url.PathEscape(d.AllianceID) + p
	if d.AsOfSeq != 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "as_of_seq=" + strconv.FormatUint(d.AsOfSeq, 10)
	}
	return u
}

// pageCtx is one page request.
type pageCtx struct {
	s *Server
	w http.ResponseWriter
	r *http.Request
	p *Principal
	d *pageData
}

// page registers a dashboard page. key names its tab ("" for none).
// Every page needs a session: without one it sends the browser to the
// login form and back.
func (s *Server) page(pattern, key string, h func(pc *pageCtx) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		pc := s.newPageCtx(w, r, key)
		p, ok := s.principal(r)
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(stripLang(r.URL)), http.StatusSeeOther)
			return
		}
		if b, ok := r.Context().Value(principalKey{}).(*principalBox); ok {
			b.p = p
		}
		pc.p, pc.d.Principal = p, p
		pc.d.Who = pc.who()
		if a := r.PathValue("alliance"); a != "" {
			pc.d.AllianceID = a
			pc.d.AllianceName = a
			if !p.CanSee(a) {
				pc.fail(forbidden("", "the token is for alliance %q, not %q", p.Alliance, a))
				return
			}
			pc.d.Nav = pc.nav()
		}
		if err := h(pc); err != nil {
			pc.fail(err)
		}
	})
}

func (s *Server) newPageCtx(w http.ResponseWriter, r *http.Request, key string) *pageCtx {
	l := pickLang(w, r)
	d := &pageData{Lang: l, OtherLang: otherLang(l), HTMLLang: map[string]string{"zh": "zh-CN", "en": "en"}[l],
		cat: catalogue[l], page: key}
	q := r.URL.Query()
	q.Set("lang", d.OtherLang)
	d.SwitchURL = r.URL.Path + "?" + q.Encode()
	q.Del("lang")
	q.Del("as_of_seq")
	q.Del("as_of_time")
	d.LatestURL = r.URL.Path
	if len(q) > 0 {
		d.LatestURL += "?" + q.Encode()
	}
	return &pageCtx{s: s, w: w, r: r, d: d}
}

// stripLang is the request's path and query without lang (the cookie
// carries the choice on).
func stripLang(u *url.URL) string {
	q := u.Query()
	q.Del("lang")
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

func (pc *pageCtx) who() string {
	p := pc.p
	role := pc.d.E("principal", p.Role)
	if p.Member != "" {
		return role + " " + p.Member
	}
	return role
}

var navKeys = []string{"overview", "members", "projects", "outputs", "payouts", "evaluation", "audit"}

func (pc *pageCtx) nav() []navItem {
	out := make([]navItem, 0, len(navKeys))
	for _, k := range navKeys {
		p := "/" + k
		if k == "overview" {
			p = ""
		}
		label, _ := pc.d.T("nav_" + k)
		out = append(out, navItem{Key: k, Href: pc.d.Href(p), Label: label, Active: k == pc.d.page})
	}
	return out
}

// view runs fn on the alliance's model with the request's view parameters
// (as_of_seq, as_of_time, period, from, to, min_seq), as the API does.
func (pc *pageCtx) view(fn func(m *projections.Model, q projections.Query) error) error {
	vp, err := parseViewParams(pc.r)
	if err != nil {
		return err
	}
	if vp.asOfSeq != 0 {
		// A position past the end is a mistake to say at once, not one to
		// wait for, as a read after a write waits with min_seq.
		last, err := pc.s.cfg.Store.Last(pc.r.Context(), pc.d.AllianceID)
		if err == nil && vp.asOfSeq > last {
			return badRequest("as_of_seq", "position %d is beyond the log's last position %d", vp.asOfSeq, last)
		}
	}
	return pc.s.view(pc.r.Context(), pc.d.AllianceID, max(vp.minSeq, vp.asOfSeq), func(m *projections.Model) error {
		q, err := vp.query(m)
		if err != nil {
			pc.setModel(m, projections.Query{Seq: m.Last()}, viewParams{})
			return err
		}
		pc.setModel(m, q, vp)
		return fn(m, q)
	})
}

// setModel fills what the layout shows of the alliance.
func (pc *pageCtx) setModel(m *projections.Model, q projections.Query, vp viewParams) {
	d := pc.d
	f, _ := m.Founded()
	d.AllianceName = f.Name
	if d.Lang == "en" && f.NameEN != "" {
		d.AllianceName = f.NameEN
	}
	d.LastSeq = m.Last()
	if vp.asOfSeq != 0 || vp.asOfTime != "" {
		d.AsOfSeq = q.Seq
		d.Nav = pc.nav() // pin the tabs to the same position
	}
	switch {
	case vp.prd != "":
		d.Period = vp.prd
	case vp.from != "" || vp.to != "":
		d.Period = vp.from + " – " + vp.to
	}
	for _, k := range []string{"period", "from", "to", "member"} {
		if v := pc.r.URL.Query().Get(k); v != "" && !(k == "period" && d.PeriodForm) {
			d.Keep = append(d.Keep, keepParam{k, v})
		}
	}
	d.loc = m.Location()
	d.names = map[string]projections.MemberFact{}
	for _, mf := range m.Members(m.Last()) {
		d.names[mf.ID] = mf
	}
}

// render executes a page into a buffer and sends it: a template that
// fails sends an error page, never half a page.
func (pc *pageCtx) render(tmpl string, status int, title string, page any) {
	pc.d.Title, pc.d.Page = title, page
	t := pageTemplates[tmpl]
	var buf bytes.Buffer
	var err error
	if t == nil {
		err = fmt.Errorf("dashboard: no template %q", tmpl)
	} else {
		err = t.ExecuteTemplate(&buf, "layout", pc.d)
	}
	if err != nil {
		pc.s.log.Error("dashboard page failed", "request_id", RequestID(pc.r), "template", tmpl, "err", err)
		pc.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		pc.w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(pc.w, "internal error (request id %s)\n", RequestID(pc.r))
		return
	}
	pc.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pc.w.WriteHeader(status)
	_, _ = pc.w.Write(buf.Bytes())
}

// errorPage is what the error template shows.
type errorPage struct {
	Status  int
	Message string
	Detail  string
}

// fail renders err as an error page with the API's status for it.
func (pc *pageCtx) fail(err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		pc.s.log.Error("dashboard page failed", "request_id", RequestID(pc.r), "path", pc.r.URL.Path, "err", err)
	}
	key := "error_" + strconv.Itoa(p.Status)
	msg, terr := pc.d.T(key)
	if terr != nil {
		msg, _ = pc.d.T("error_other")
	}
	title, _ := pc.d.T("error_title")
	pc.render("error", p.Status, title, errorPage{Status: p.Status, Message: msg, Detail: p.Detail})
}

// ---- Login ----

// loginPage is what the login template shows.
type loginPage struct {
	Error bool
}

// safeNext keeps a redirect target on this site: a local path, never
// "//host" or "/\host", which browsers take for another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func (s *Server) loginGet(w http.ResponseWriter, r *http.Request) {
	if token := r.URL.Query().Get("token"); token != "" {
		s.signIn(w, r, token, r.URL.Query().Get("next"))
		return
	}
	s.loginForm(w, r, http.StatusOK, false)
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.loginForm(w, r, http.StatusBadRequest, true)
		return
	}
	s.signIn(w, r, strings.TrimSpace(r.PostForm.Get("token")), r.PostForm.Get("next"))
}

// signIn checks a token and keeps it in the session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, token, next string) {
	setPageHeaders(w)
	w.Header().Set("Referrer-Policy", "no-referrer") // the token may be in this URL
	p, ok := s.cfg.Tokens.Lookup(token)
	if !ok {
		s.loginForm(w, r, http.StatusUnauthorized, true)
		return
	}
	if b, ok := r.Context().Value(principalKey{}).(*principalBox); ok {
		b.p = &p
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, status int, failed bool) {
	setPageHeaders(w)
	pc := s.newPageCtx(w, r, "")
	pc.d.Next = safeNext(r.URL.Query().Get("next"))
	if r.Method == http.MethodPost {
		pc.d.Next = safeNext(r.PostForm.Get("next"))
	}
	// The switch link must not carry a token that failed.
	q := url.Values{"lang": {pc.d.OtherLang}}
	if pc.d.Next != "/" {
		q.Set("next", pc.d.Next)
	}
	pc.d.SwitchURL = "/login?" + q.Encode()
	title, _ := pc.d.T("login_title")
	pc.render("login", status, title, loginPage{Error: failed})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// ---- Home ----

type homePage struct {
	Alliances []homeAlliance
}

type homeAlliance struct {
	ID, Name, Type string
	LastSeq        uint64
}

func (s *Server) pageHome(pc *pageCtx) error {
	ids, err := s.cfg.Store.Alliances(pc.r.Context())
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !pc.p.CanSee(id) })
	slices.Sort(ids)
	var out homePage
	for _, id := range ids {
		var a homeAlliance
		err := s.view(pc.r.Context(), id, 0, func(m *projections.Model) error {
			f, _ := m.Founded()
			a = homeAlliance{ID: id, Name: f.Name, Type: f.Type, LastSeq: m.Last()}
			if pc.d.Lang == "en" && f.NameEN != "" {
				a.Name = f.NameEN
			}
			return nil
		})
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out.Alliances = append(out.Alliances, a)
	}
	title, _ := pc.d.T("home_title")
	pc.render("home", http.StatusOK, title, out)
	return nil
}
