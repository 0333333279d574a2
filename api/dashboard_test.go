package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections/evaluation"
)

// ---- Fetching and reading pages ----

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// page is a dashboard page as fetched.
type page struct {
	Path   string
	Status int
	Header http.Header
	Body   string
	Doc    *html.Node
	Text   string // the document's text, entities decoded
	// Figures are the data-figure elements: their text (whitespace
	// collapsed) and data-exact attribute.
	Figures map[string]figure
}

type figure struct{ Text, Exact string }

// getPage fetches a page with a session cookie for the named token ("" for
// none) and extra headers as key, value pairs.
func getPage(t *testing.T, te *testEnv, path, who string, headers ...string) *page {
	t.Helper()
	req, err := http.NewRequest("GET", te.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if who != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: te.Token[who]})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return parsePage(t, path, resp.StatusCode, resp.Header, string(b))
}

func parsePage(t *testing.T, path string, status int, h http.Header, body string) *page {
	t.Helper()
	p := &page{Path: path, Status: status, Header: h, Body: body, Figures: map[string]figure{}}
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		return p
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not HTML: %v", path, err)
	}
	p.Doc = doc
	p.Text = textOf(doc)
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		name, ok := attr(n, "data-figure")
		if !ok {
			continue
		}
		exact, _ := attr(n, "data-exact")
		f := figure{Text: textOf(n), Exact: exact}
		if old, dup := p.Figures[name]; dup && old != f {
			t.Errorf("%s: figure %s shown twice, as %+v and %+v", path, name, old, f)
		}
		p.Figures[name] = f
	}
	return p
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// textOf is an element's text with whitespace collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// elements returns the elements with the tag name.
func (p *page) elements(tag string) []*html.Node {
	var out []*html.Node
	if p.Doc == nil {
		return nil
	}
	for n := range p.Doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	}
	return out
}

// fig returns a figure the page must show.
func (p *page) fig(t *testing.T, name string) figure {
	t.Helper()
	f, ok := p.Figures[name]
	if !ok {
		t.Errorf("%s: no figure %q", p.Path, name)
	}
	return f
}

// apiGet fetches a JSON API response with the named token into v and
// returns its status.
func apiGet(t *testing.T, te *testEnv, path, who string, v any) int {
	t.Helper()
	req, err := http.NewRequest("GET", te.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+te.Token[who])
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, b)
		}
	}
	return resp.StatusCode
}

// ---- Reading figures back, independently of the formatter ----

var moneyText = regexp.MustCompile(`^(-?)(¥|US\$|€|£|HK\$)?(\d{1,3}(?:,\d{3})*)(?:\.(\d+))?(?: ([A-Z]{3}))?$`)

var symbolCurrency = map[string]string{"¥": "CNY", "US$": "USD", "€": "EUR", "£": "GBP", "HK$": "HKD"}

// parseMoneyText reads a shown amount back into minor units: digits grouped
// by three, exactly the currency's minor digits.
func parseMoneyText(s string) (ledger.Money, error) {
	m := moneyText.FindStringSubmatch(s)
	if m == nil {
		return ledger.Money{}, fmt.Errorf("%q is not an amount as the dashboard writes one", s)
	}
	cur := symbolCurrency[m[2]]
	if m[2] == "" {
		cur = m[5]
	} else if m[5] != "" {
		return ledger.Money{}, fmt.Errorf("%q has a symbol and a code", s)
	}
	exp, ok := ledger.CurrencyExponent(cur)
	if !ok || len(m[4]) != exp {
		return ledger.Money{}, fmt.Errorf("%q: want %d minor digits for %s", s, exp, cur)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(m[3], ",", "")+m[4], 10, 64)
	if err != nil {
		return ledger.Money{}, err
	}
	if m[1] == "-" {
		n = -n
	}
	return ledger.Money{Amount: n, Currency: cur}, nil
}

// wantMoney checks that a figure shows amount in currency.
func (p *page) wantMoney(t *testing.T, name string, amount int64, currency string) {
	t.Helper()
	f, ok := p.Figures[name]
	if !ok {
		t.Errorf("%s: no figure %q (want %d %s)", p.Path, name, amount, currency)
		return
	}
	got, err := parseMoneyText(f.Text)
	if err != nil {
		t.Errorf("%s: figure %s: %v", p.Path, name, err)
		return
	}
	if got != (ledger.Money{Amount: amount, Currency: currency}) {
		t.Errorf("%s: figure %s shows %q = %d %s, the API says %d %s", p.Path, name, f.Text, got.Amount, got.Currency, amount, currency)
	}
}

// wantText checks a figure's text.
func (p *page) wantText(t *testing.T, name, want string) {
	t.Helper()
	if f, ok := p.Figures[name]; !ok {
		t.Errorf("%s: no figure %q (want %q)", p.Path, name, want)
	} else if f.Text != want {
		t.Errorf("%s: figure %s shows %q, the API says %q", p.Path, name, f.Text, want)
	}
}

// wantExact checks a figure's exact value.
func (p *page) wantExact(t *testing.T, name, want string) {
	t.Helper()
	if f, ok := p.Figures[name]; !ok {
		t.Errorf("%s: no figure %q (want exact %q)", p.Path, name, want)
	} else if f.Exact != want {
		t.Errorf("%s: figure %s is exactly %q, the API says %q", p.Path, name, f.Exact, want)
	}
}

// percentOf is an exact ratio from the API as a percentage to two places.
func percentOf(t *testing.T, s string) string {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a ratio", s)
	}
	return r.Mul(r, big.NewRat(100, 1)).FloatString(2) + "%"
}

// ---- API views as JSON, decoded here without the server's types ----

type apiAmounts struct {
	Currency string `json:"currency"`
	ByKind   []struct {
		Kind      string `json:"kind"`
		Confirmed int64  `json:"confirmed"`
	} `json:"by_kind"`
	Confirmed   int64 `json:"contributed_confirmed"`
	Unconfirmed int64 `json:"contributed_unconfirmed"`
	Funding     int64 `json:"funding_received"`
	Payouts     int64 `json:"payouts_received"`
	Costs       int64 `json:"costs_borne"`
	Losses      int64 `json:"losses_borne"`
	Net         int64 `json:"net"`
}

type apiBalances struct {
	AsOfSeq uint64 `json:"as_of_seq"`
	Members []struct {
		Member string       `json:"member"`
		Totals []apiAmounts `json:"totals"`
	} `json:"members"`
	Common struct {
		Totals []apiAmounts `json:"totals"`
	} `json:"common"`
	Totals []apiAmounts `json:"totals"`
}

// wantAmounts checks a balance row's seven figures for owner.
func (p *page) wantAmounts(t *testing.T, owner string, a apiAmounts) {
	t.Helper()
	for _, c := range []struct {
		name string
		v    int64
	}{{"confirmed", a.Confirmed}, {"unconfirmed", a.Unconfirmed}, {"funding", a.Funding}, {"payouts", a.Payouts},
		{"costs", a.Costs}, {"losses", a.Losses}, {"net", a.Net}} {
		p.wantMoney(t, c.name+"-"+owner+"-"+a.Currency, c.v, a.Currency)
	}
}

// ---- The tests ----

// dashboardPaths are the pages every principal of the alliance can open.
func dashboardPaths(te *testEnv, t *testing.T) []string {
	base := "/a/" + sampleAlliance
	paths := []string{"/", base, base + "/members", base + "/members/M02", base + "/projects", base + "/outputs",
		base + "/payouts", base + "/audit", base + "/evaluation?period=2025"}
	var risk struct {
		Projects []struct {
			Project string `json:"project"`
		} `json:"projects"`
	}
	apiGet(t, te, "/v1/alliances/"+sampleAlliance+"/risk", "secretariat", &risk)
	for _, p := range risk.Projects {
		paths = append(paths, base+"/projects/"+p.Project)
	}
	for _, seq := range payoutSeqs(t, te) {
		paths = append(paths, base+"/payouts/"+strconv.FormatUint(seq, 10))
	}
	return paths
}

type apiPool struct {
	ID      string `json:"id"`
	Amount  ledger.Money
	Payouts []struct {
		Seq     uint64 `json:"seq"`
		Adjusts uint64 `json:"adjusts"`
		Amounts []struct {
			Member string       `json:"member"`
			Amount ledger.Money `json:"amount"`
		} `json:"amounts"`
	} `json:"payouts"`
}

func apiPools(t *testing.T, te *testEnv) []apiPool {
	var pools struct {
		Items []apiPool `json:"items"`
	}
	apiGet(t, te, "/v1/alliances/"+sampleAlliance+"/pools", "secretariat", &pools)
	return pools.Items
}

// payoutSeqs are the positions of the sample's payouts and adjustments.
func payoutSeqs(t *testing.T, te *testEnv) []uint64 {
	var out []uint64
	for _, p := range apiPools(t, te) {
		for _, po := range p.Payouts {
			out = append(out, po.Seq)
		}
	}
	return out
}

func TestDashboard(t *testing.T) {
	te := newTestEnv(t, true)
	ctx := context.Background()
	// A signed checkpoint and a co-signature, for the audit status.
	err := te.Server.withCheckpointer(ctx, sampleAlliance, func(cp *audit.Checkpointer) error {
		_, _, err := cp.Checkpoint(ctx, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cos, _ := json.Marshal(audit.CosignatureRecord{Size: int64(te.last(sampleAlliance)), Member: "M03", VKey: "m03+0000+test",
		Note: "test co-signature", SignedAt: time.Now()})
	if _, err := te.Store.Audit().Append(ctx, sampleAlliance, audit.KindCosignatures, cos); err != nil {
		t.Fatal(err)
	}

	var listed struct {
		Items []audit.CosignatureRecord `json:"items"`
	}
	if apiGet(t, te, "/v1/alliances/"+sampleAlliance+"/audit/cosignatures", "secretariat", &listed); len(listed.Items) != 1 {
		t.Fatalf("the API lists %d co-signatures, want the one appended", len(listed.Items))
	}

	t.Run("login", func(t *testing.T) { testDashboardLogin(t, te) })
	t.Run("language", func(t *testing.T) { testDashboardLanguage(t, te) })
	t.Run("pages", func(t *testing.T) { testDashboardPages(t, te) })
	t.Run("figures", func(t *testing.T) {
		for _, who := range []string{"secretariat", "M02"} {
			for _, lang := range []string{"zh", "en"} {
				t.Run(who+"/"+lang, func(t *testing.T) {
					testDashboardFigures(t, te, who, lang, func(path string) *page {
						t.Helper()
						p := getPage(t, te, withLang(path, lang), who)
						if p.Status != http.StatusOK {
							t.Fatalf("%s: status %d\n%.2000s", path, p.Status, p.Body)
						}
						return p
					})
				})
			}
		}
	})
	t.Run("as-of", func(t *testing.T) { testDashboardAsOf(t, te) })
	t.Run("errors", func(t *testing.T) { testDashboardErrors(t, te) })
}

func testDashboardLogin(t *testing.T, te *testEnv) {
	base := "/a/" + sampleAlliance
	// No session: to the login form, and back after it.
	for _, path := range []string{"/", base, base + "/members?as_of_seq=10"} {
		p := getPage(t, te, path, "")
		if p.Status != http.StatusSeeOther {
			t.Fatalf("%s without a session: status %d, want 303", path, p.Status)
		}
		if loc, want := p.Header.Get("Location"), "/login?next="+url.QueryEscape(path); loc != want {
			t.Errorf("%s without a session: to %q, want %q", path, loc, want)
		}
	}
	// A revoked or made-up cookie counts as none.
	req, _ := http.NewRequest("GET", te.URL+base, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "alt_notatoken"})
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("made-up session: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// The login link of `alliance demo`.
	p := getPage(t, te, "/login?token="+te.Token["M02"]+"&next="+url.QueryEscape(base+"/members"), "")
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != base+"/members" {
		t.Fatalf("login link: status %d to %q", p.Status, p.Header.Get("Location"))
	}
	ck := (&http.Response{Header: p.Header}).Cookies()
	i := slices.IndexFunc(ck, func(c *http.Cookie) bool { return c.Name == sessionCookie })
	if i < 0 {
		t.Fatalf("login link set no session cookie: %v", p.Header["Set-Cookie"])
	}
	if c := ck[i]; c.Value != te.Token["M02"] || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Errorf("session cookie %+v: want the token, HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", c)
	}

	// Redirects stay on the site.
	for next, want := range map[string]string{"//evil.example/x": "/", "https://evil.example/": "/", "/\\evil.example": "/",
		"": "/", base + "/audit?lang=en": base + "/audit?lang=en", "members": "/"} {
		p := getPage(t, te, "/login?token="+te.Token["secretariat"]+"&next="+url.QueryEscape(next), "")
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != want {
			t.Errorf("next %q: status %d to %q, want 303 to %q", next, p.Status, p.Header.Get("Location"), want)
		}
	}

	// A bad token: the form again, with a message, and no cookie.
	for _, lang := range []string{"zh", "en"} {
		p = getPage(t, te, "/login?token=alt_wrong&lang="+lang, "")
		if p.Status != http.StatusUnauthorized {
			t.Fatalf("bad token: status %d, want 401", p.Status)
		}
		if _, ok := p.Figures["login-error"]; !ok || !strings.Contains(p.Text, catalogue[lang]["login_failed"]) {
			t.Errorf("bad token (%s): no error message on the form", lang)
		}
		if strings.Contains(p.Header.Get("Set-Cookie"), sessionCookie) {
			t.Errorf("bad token set a session cookie")
		}
		if strings.Contains(p.Body, "alt_wrong") {
			t.Errorf("the form repeats the bad token")
		}
	}

	// The form, and signing in with it, then out, in a browser-like client.
	p = getPage(t, te, "/login?next="+url.QueryEscape(base+"/payouts"), "")
	if p.Status != http.StatusOK || len(p.elements("form")) == 0 || !strings.Contains(p.Body, `name="token"`) {
		t.Fatalf("login form: status %d\n%s", p.Status, p.Body)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := client.PostForm(te.URL+"/login", url.Values{"token": {te.Token["secretariat"]}, "next": {base + "/payouts"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != base+"/payouts" || !strings.Contains(string(body), `data-figure="last-seq"`) {
		t.Fatalf("signing in with the form ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
	resp, err = client.PostForm(te.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Errorf("sign out ended at %s, want /login", resp.Request.URL)
	}
	resp, err = client.Get(te.URL + base)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Errorf("after signing out the overview went to %s, want the login form", resp.Request.URL)
	}
}

func testDashboardLanguage(t *testing.T, te *testEnv) {
	base := "/a/" + sampleAlliance
	zhNav, enNav := catalogue["zh"]["nav_members"], catalogue["en"]["nav_members"]
	is := func(p *page, lang string) {
		t.Helper()
		want, other := zhNav, enNav
		htmlLang := "zh-CN"
		if lang == "en" {
			want, other, htmlLang = enNav, zhNav, "en"
		}
		if p.Status != http.StatusOK {
			t.Fatalf("%s: status %d", p.Path, p.Status)
		}
		if !strings.Contains(p.Body, `<html lang="`+htmlLang+`">`) || !strings.Contains(p.Text, want) || strings.Contains(p.Text, other) {
			t.Errorf("%s: not in %s", p.Path, lang)
		}
	}
	is(getPage(t, te, base, "secretariat"), "zh") // the default
	is(getPage(t, te, base, "secretariat", "Accept-Language", "en-GB,en;q=0.9"), "en")
	is(getPage(t, te, base, "secretariat", "Accept-Language", "de-DE,en;q=0.5,zh-CN;q=0.8"), "zh")
	p := getPage(t, te, base+"?lang=en", "secretariat", "Accept-Language", "zh-CN")
	is(p, "en")
	ck := (&http.Response{Header: p.Header}).Cookies()
	i := slices.IndexFunc(ck, func(c *http.Cookie) bool { return c.Name == langCookie })
	if i < 0 || ck[i].Value != "en" {
		t.Fatalf("?lang=en set no lang cookie: %v", p.Header["Set-Cookie"])
	}
	// The cookie carries the choice to the next page, over Accept-Language.
	is(getPage(t, te, base+"/projects", "secretariat", "Cookie", langCookie+"=en; "+sessionCookie+"="+te.Token["secretariat"], "Accept-Language", "zh-CN"), "en")
	// The switch link goes to the same page in the other language.
	for n := range p.Doc.Descendants() {
		if v, ok := attr(n, "data-lang-switch"); ok {
			href, _ := attr(n, "href")
			u, err := url.Parse(href)
			if v != "zh" || err != nil || u.Path != base || u.Query().Get("lang") != "zh" {
				t.Errorf("switch link %q (%s) on an English page", href, v)
			}
			is(getPage(t, te, href, "secretariat"), "zh")
			return
		}
	}
	t.Errorf("no language switch on %s", p.Path)
}

// testDashboardPages opens every page as the secretariat and as a member
// in both languages.
func testDashboardPages(t *testing.T, te *testEnv) {
	paths := dashboardPaths(te, t)
	if len(paths) < 12 {
		t.Fatalf("only %d pages: %v", len(paths), paths)
	}
	for _, who := range []string{"secretariat", "M02", "auditor", "evaluator"} {
		for _, lang := range []string{"zh", "en"} {
			for _, path := range paths {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				p := getPage(t, te, path+sep+"lang="+lang, who)
				if p.Status != http.StatusOK {
					t.Errorf("%s as %s in %s: status %d\n%.2000s", path, who, lang, p.Status, p.Body)
					continue
				}
				checkPage(t, p, lang)
			}
		}
	}
}

// checkPage checks what every page must be: HTML in its language with the
// switch to the other, the security headers, no script and no inline
// style, figures in data-figure elements.
func checkPage(t *testing.T, p *page, lang string) {
	t.Helper()
	checkHeaders(t, p)
	checkDocument(t, p, lang)
}

// checkHeaders checks a page's content type and security headers.
func checkHeaders(t *testing.T, p *page) {
	t.Helper()
	h := p.Header
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Content-Security-Policy") != dashboardCSP ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: headers %v", p.Path, h)
	}
	for _, must := range []string{"default-src 'self'", "style-src 'self'", "img-src 'self' data:"} {
		if !strings.Contains(dashboardCSP, must) {
			t.Errorf("the policy lacks %q", must)
		}
	}
}

// checkDocument checks a page's document: in its language, with the switch
// to the other, without script or inline style.
func checkDocument(t *testing.T, p *page, lang string) {
	t.Helper()
	if p.Doc == nil {
		t.Fatalf("%s: not HTML", p.Path)
	}
	if len(p.elements("script")) > 0 {
		t.Errorf("%s has a script", p.Path)
	}
	for n := range p.Doc.Descendants() {
		if _, ok := attr(n, "style"); ok && n.Type == html.ElementNode {
			t.Errorf("%s: inline style on <%s>, which the policy blocks", p.Path, n.Data)
		}
		if n.Type == html.ElementNode && n.Data == "style" {
			t.Errorf("%s: a <style> element, which the policy blocks", p.Path)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: event handler %s", p.Path, a.Key)
			}
		}
	}
	htmlLang := map[string]string{"zh": "zh-CN", "en": "en"}[lang]
	if l, _ := attr(p.elements("html")[0], "lang"); l != htmlLang {
		t.Errorf("%s: marked as %q, not %s", p.Path, l, htmlLang)
	}
	other := otherLang(lang)
	found := false
	for n := range p.Doc.Descendants() {
		if v, ok := attr(n, "data-lang-switch"); ok {
			href, _ := attr(n, "href")
			found = v == other && strings.Contains(href, "lang="+other) && textOf(n) == catalogue[lang]["switch_lang"]
		}
	}
	if !found {
		t.Errorf("%s: no switch to %s", p.Path, other)
	}
	// A page in Chinese shows its labels in Chinese, and in English in
	// English: the footer is on every page.
	if !strings.Contains(p.Text, catalogue[lang]["footer"]) || strings.Contains(p.Text, catalogue[other]["footer"]) {
		t.Errorf("%s: the labels are not in %s", p.Path, lang)
	}
	if strings.Contains(p.Path, "/a/") && p.Status == http.StatusOK {
		if len(p.Figures) < 2 {
			t.Errorf("%s: %d figures", p.Path, len(p.Figures))
		}
		for _, svg := range p.elements("svg") {
			if role, _ := attr(svg, "role"); role == "img" {
				if _, ok := attr(svg, "aria-labelledby"); !ok {
					t.Errorf("%s: a chart without a text alternative", p.Path)
				}
			}
		}
	}
}

// withLang adds lang= to a path.
func withLang(path, lang string) string {
	if strings.Contains(path, "?") {
		return path + "&lang=" + lang
	}
	return path + "?lang=" + lang
}

// testDashboardFigures compares the figures on each page with the API's
// answer for the same principal; get loads a page in the language (over
// HTTP here, in Chromium in the browser test).
func testDashboardFigures(t *testing.T, te *testEnv, who, lang string, get func(path string) *page) {
	api := "/v1/alliances/" + sampleAlliance
	base := "/a/" + sampleAlliance

	// Overview.
	var ov Overview
	apiGet(t, te, api, who, &ov)
	var bal apiBalances
	apiGet(t, te, api+"/balances", who, &bal)
	p := get(base)
	p.wantText(t, "last-seq", strconv.FormatUint(ov.AsOfSeq, 10))
	for name, v := range map[string]int{"members": ov.Members, "active-members": ov.Active, "projects": ov.Projects,
		"ip-assets": ov.Assets, "pools": ov.Pools, "disputes": ov.Disputes} {
		p.wantText(t, name, strconv.Itoa(v))
	}
	if ov.Members == 0 || ov.Projects == 0 || ov.Assets == 0 || ov.Pools == 0 {
		t.Fatalf("the sample is emptier than the test expects: %+v", ov)
	}
	for _, a := range bal.Totals {
		p.wantAmounts(t, "total", a)
		// The chart sums contributions one by one; the API sums them in
		// the balances view.
		for _, k := range a.ByKind {
			if k.Confirmed != 0 {
				p.wantMoney(t, "contrib-kind-"+k.Kind+"-"+a.Currency, k.Confirmed, a.Currency)
			}
		}
		p.wantMoney(t, "contrib-total-"+a.Currency, a.Confirmed, a.Currency)
	}
	var cp CheckpointView
	switch st := apiGet(t, te, api+"/audit/checkpoints/latest", who, &cp); st {
	case http.StatusOK:
		p.wantText(t, "checkpoint-size", strconv.FormatInt(cp.Size, 10))
		p.wantText(t, "checkpoint-signed-at", cp.SignedAt)
	case http.StatusNotFound:
		if f, ok := p.Figures["checkpoint-size"]; ok {
			t.Errorf("the overview shows checkpoint size %s, the API has no checkpoint", f.Text)
		}
	default:
		t.Fatalf("latest checkpoint: status %d", st)
	}

	// Members and balances: a member sees its own row and the totals.
	p = get(base + "/members")
	shown := map[string]bool{}
	for name := range p.Figures {
		if rest, ok := strings.CutPrefix(name, "net-"); ok {
			shown[rest] = true
		}
	}
	want := map[string]bool{}
	for _, mb := range bal.Members {
		for _, a := range mb.Totals {
			want[mb.Member+"-"+a.Currency] = true
			p.wantAmounts(t, mb.Member, a)
		}
	}
	for _, a := range bal.Common.Totals {
		want["common-"+a.Currency] = true
		p.wantAmounts(t, "common", a)
	}
	for _, a := range bal.Totals {
		want["total-"+a.Currency] = true
		p.wantAmounts(t, "total", a)
	}
	for k := range shown {
		if !want[k] {
			t.Errorf("%s as %s shows the balance %s, which the API does not give it", p.Path, who, k)
		}
	}
	rows := 0
	for _, tr := range p.elements("tr") {
		if m, ok := attr(tr, "data-member"); ok {
			rows++
			if who == "M02" && m != "M02" {
				t.Errorf("member M02 sees %s's row", m)
			}
		}
	}
	if who == "M02" {
		if rows != 1 || len(bal.Members) != 1 {
			t.Errorf("member M02 sees %d rows, the API gives %d", rows, len(bal.Members))
		}
		for name := range p.Figures {
			if strings.Contains(name, "-M03-") {
				t.Errorf("member M02 sees figure %s", name)
			}
		}
	} else if rows < ov.Members {
		t.Errorf("%s sees %d member rows of %d", who, rows, ov.Members)
	}

	// A member's statement.
	var st struct {
		Balance struct {
			Totals []apiAmounts `json:"totals"`
		} `json:"balance"`
		Contributions []json.RawMessage `json:"contributions"`
	}
	apiGet(t, te, api+"/members/M02/statement", who, &st)
	p = get(base + "/members/M02")
	for _, a := range st.Balance.Totals {
		p.wantAmounts(t, "M02", a)
	}
	p.wantText(t, "contributions-count", strconv.Itoa(len(st.Contributions)))

	// Projects and their risk shares.
	var risk struct {
		Projects []struct {
			Project  string `json:"project"`
			Currency string `json:"currency"`
			AtRisk   string `json:"at_risk"`
			Loss     int64  `json:"loss"`
			Shares   []struct {
				Member    string `json:"member"`
				Basis     string `json:"basis"`
				Share     string `json:"share"`
				LossBorne int64  `json:"loss_borne"`
			} `json:"shares"`
		} `json:"projects"`
	}
	apiGet(t, te, api+"/risk", who, &risk)
	list := get(base + "/projects")
	sawShares := false
	for _, pr := range risk.Projects {
		list.wantExact(t, "at-risk-"+pr.Project, pr.AtRisk)
		list.wantMoney(t, "loss-"+pr.Project, pr.Loss, pr.Currency)
		p = get(base + "/projects/" + pr.Project)
		p.wantExact(t, "at-risk-"+pr.Project, pr.AtRisk)
		p.wantMoney(t, "loss-"+pr.Project, pr.Loss, pr.Currency)
		for _, sh := range pr.Shares {
			name := "risk-share-" + pr.Project + "-" + sh.Member
			p.wantExact(t, name, sh.Share)
			p.wantText(t, name, percentOf(t, sh.Share))
			p.wantExact(t, "risk-basis-"+pr.Project+"-"+sh.Member, sh.Basis)
			p.wantMoney(t, "loss-borne-"+pr.Project+"-"+sh.Member, sh.LossBorne, pr.Currency)
			sawShares = true
		}
	}
	if !sawShares {
		t.Error("no risk share was checked")
	}

	// Innovation outputs.
	var out struct {
		Assets int `json:"assets"`
		ByType []struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		} `json:"by_type"`
		ByPeriod []struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		} `json:"by_period"`
		ByStatus []struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		} `json:"by_status"`
		ByMember []struct {
			Key      string `json:"key"`
			Weighted string `json:"weighted"`
		} `json:"by_member"`
		Revenue []struct {
			Asset    string `json:"asset"`
			Currency string `json:"currency"`
			Amount   int64  `json:"amount"`
		} `json:"licence_revenue"`
	}
	apiGet(t, te, api+"/outputs", who, &out)
	p = get(base + "/outputs")
	p.wantText(t, "outputs-total", strconv.Itoa(out.Assets))
	for _, x := range out.ByType {
		p.wantText(t, "outputs-type-"+x.Key, strconv.Itoa(x.Count))
	}
	// The chart's yearly totals are summed from the cells by type.
	for _, x := range out.ByPeriod {
		p.wantText(t, "outputs-year-"+x.Key, strconv.Itoa(x.Count))
	}
	for _, x := range out.ByStatus {
		p.wantText(t, "outputs-status-"+x.Key, strconv.Itoa(x.Count))
	}
	for _, x := range out.ByMember {
		p.wantExact(t, "outputs-member-"+x.Key, x.Weighted)
	}
	for _, x := range out.Revenue {
		p.wantMoney(t, "revenue-"+x.Asset+"-"+x.Currency, x.Amount, x.Currency)
	}

	// Payouts, and each payout explained.
	p = get(base + "/payouts")
	pools := apiPools(t, te)
	checked := 0
	for _, pool := range pools {
		p.wantMoney(t, "pool-"+pool.ID, pool.Amount.Amount, pool.Amount.Currency)
		for _, po := range pool.Payouts {
			seq := strconv.FormatUint(po.Seq, 10)
			if po.Adjusts != 0 {
				for _, a := range po.Amounts {
					p.wantMoney(t, "adjustment-"+seq+"-"+a.Member, a.Amount.Amount, a.Amount.Currency)
				}
				continue
			}
			var ex struct {
				Check struct {
					Match      bool `json:"match"`
					Recomputed struct {
						Members []struct {
							Member  string `json:"member"`
							Amount  int64  `json:"amount"`
							Shapley *struct {
								Value string `json:"value"`
							} `json:"shapley"`
						} `json:"members"`
					} `json:"recomputed"`
				} `json:"check"`
				InForce map[string]int64 `json:"in_force"`
			}
			if st := apiGet(t, te, api+"/payouts/"+seq+"/explanation", who, &ex); st != http.StatusOK {
				t.Fatalf("explanation of %s: status %d", seq, st)
			}
			dp := get(base + "/payouts/" + seq)
			dp.wantExact(t, "payout-match", strconv.FormatBool(ex.Check.Match))
			for _, a := range po.Amounts {
				p.wantMoney(t, "payout-"+seq+"-"+a.Member, a.Amount.Amount, a.Amount.Currency)
				p.wantMoney(t, "in-force-"+seq+"-"+a.Member, ex.InForce[a.Member], a.Amount.Currency)
				dp.wantMoney(t, "payout-"+seq+"-"+a.Member, a.Amount.Amount, a.Amount.Currency)
				dp.wantMoney(t, "in-force-"+seq+"-"+a.Member, ex.InForce[a.Member], a.Amount.Currency)
			}
			for _, mr := range ex.Check.Recomputed.Members {
				dp.wantMoney(t, "recomputed-"+seq+"-"+mr.Member, mr.Amount, pool.Amount.Currency)
				if mr.Shapley != nil {
					dp.wantExact(t, "shapley-"+seq+"-"+mr.Member, mr.Shapley.Value)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Error("no payout was checked")
	}

	// Audit status.
	var cps struct {
		VerifierKey string           `json:"verifier_key"`
		Items       []CheckpointView `json:"items"`
	}
	apiGet(t, te, api+"/audit/checkpoints", who, &cps)
	var cos struct {
		Items []audit.CosignatureRecord `json:"items"`
	}
	apiGet(t, te, api+"/audit/cosignatures", who, &cos)
	p = get(base + "/audit")
	if len(cps.Items) > 0 {
		p.wantText(t, "checkpoint-size", strconv.FormatInt(cp.Size, 10))
		p.wantText(t, "checkpoint-signed-at", cp.SignedAt)
		if f := p.fig(t, "checkpoint-note"); f.Text != strings.Join(strings.Fields(cp.Note), " ") {
			t.Errorf("checkpoint note %q, the API says %q", f.Text, cp.Note)
		}
	}
	p.wantText(t, "verifier-key", cps.VerifierKey)
	p.wantText(t, "checkpoints", strconv.Itoa(len(cps.Items)))
	p.wantText(t, "cosignatures", strconv.Itoa(len(cos.Items)))
	for _, c := range cos.Items {
		if !strings.Contains(p.Text, c.VKey) {
			t.Errorf("the co-signature of %s is not shown", c.Member)
		}
	}

	// The evaluation of 2025.
	var ev struct {
		Score     string `json:"score"`
		ScoreText string `json:"score_text"`
		Band      struct {
			ID, ZH, EN string
		} `json:"band"`
		Dimensions []struct {
			ID         string `json:"id"`
			ScoreText  string `json:"score_text"`
			Indicators []struct {
				ID      string `json:"id"`
				Score   string `json:"score"`
				Missing bool   `json:"missing"`
			} `json:"indicators"`
		} `json:"dimensions"`
	}
	if st := apiGet(t, te, api+"/evaluation?period=2025", who, &ev); st != http.StatusOK {
		t.Fatalf("evaluation: status %d", st)
	}
	p = get(base + "/evaluation?period=2025")
	p.wantText(t, "eval-score", ev.ScoreText)
	p.wantExact(t, "eval-score", ev.Score)
	p.wantExact(t, "eval-band", ev.Band.ID)
	band := ev.Band.ZH
	if lang == "en" {
		band = ev.Band.EN
	}
	p.wantText(t, "eval-band", band)
	for _, d := range ev.Dimensions {
		p.wantText(t, "eval-dim-"+d.ID, d.ScoreText)
		for _, ind := range d.Indicators {
			p.wantExact(t, "eval-ind-"+d.ID+"-"+ind.ID, ind.Score)
		}
	}
}

// testDashboardAsOf checks that pages read as of a position as the API does.
func testDashboardAsOf(t *testing.T, te *testEnv) {
	const at = 300
	var bal apiBalances
	if st := apiGet(t, te, fmt.Sprintf("/v1/alliances/%s/balances?as_of_seq=%d", sampleAlliance, at), "secretariat", &bal); st != http.StatusOK {
		t.Fatalf("balances as of %d: %d", at, st)
	}
	p := getPage(t, te, fmt.Sprintf("/a/%s/members?as_of_seq=%d", sampleAlliance, at), "secretariat")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d", p.Status)
	}
	p.wantText(t, "as-of-seq", strconv.Itoa(at))
	for _, mb := range bal.Members {
		for _, a := range mb.Totals {
			p.wantAmounts(t, mb.Member, a)
		}
	}
	for _, a := range bal.Totals {
		p.wantAmounts(t, "total", a)
	}
	// The tabs stay at the same position.
	pinned := 0
	for _, a := range p.elements("a") {
		if href, _ := attr(a, "href"); strings.HasPrefix(href, "/a/") && strings.Contains(href, fmt.Sprintf("as_of_seq=%d", at)) {
			pinned++
		}
	}
	if pinned < len(navKeys) {
		t.Errorf("%d links keep as_of_seq, want at least the %d tabs", pinned, len(navKeys))
	}
	// A period, as the API reads it.
	var b2025 apiBalances
	apiGet(t, te, "/v1/alliances/"+sampleAlliance+"/balances?period=2025", "secretariat", &b2025)
	p = getPage(t, te, "/a/"+sampleAlliance+"/members?period=2025", "secretariat")
	p.wantText(t, "period", "2025")
	for _, a := range b2025.Totals {
		p.wantAmounts(t, "total", a)
	}
}

func testDashboardErrors(t *testing.T, te *testEnv) {
	base := "/a/" + sampleAlliance
	for _, c := range []struct {
		path, who string
		status    int
	}{
		{"/a/no-such-alliance", "operator", http.StatusNotFound},
		{"/a/no-such-alliance/members", "operator", http.StatusNotFound},
		{base, "other", http.StatusForbidden},
		{base + "/members/M03", "M02", http.StatusForbidden},
		{base + "/evaluation?period=2025&member=M03", "M02", http.StatusForbidden},
		{base + "/members/M03", "secretariat", http.StatusOK},
		{base + "/members/M99", "secretariat", http.StatusNotFound},
		{base + "/projects/P99", "secretariat", http.StatusNotFound},
		{base + "/payouts/999999", "secretariat", http.StatusNotFound},
		{base + "/payouts/2", "secretariat", http.StatusNotFound},
		{base + "/payouts/abc", "secretariat", http.StatusBadRequest},
		{base + "?as_of_seq=99999999", "secretariat", http.StatusBadRequest},
		{base + "/members?period=2025-13", "secretariat", http.StatusBadRequest},
		{base + "/evaluation?period=nope", "secretariat", http.StatusBadRequest},
		{base + "/evaluation?period=1990", "secretariat", http.StatusOK},
	} {
		for _, lang := range []string{"zh", "en"} {
			sep := "?"
			if strings.Contains(c.path, "?") {
				sep = "&"
			}
			p := getPage(t, te, c.path+sep+"lang="+lang, c.who)
			if p.Status != c.status {
				t.Errorf("%s as %s: status %d, want %d\n%.1500s", c.path, c.who, p.Status, c.status, p.Body)
				continue
			}
			checkPage(t, p, lang)
			if c.status >= 400 && !strings.Contains(c.path, "evaluation") {
				p.wantText(t, "error-status", strconv.Itoa(c.status))
				if msg := catalogue[lang]["error_"+strconv.Itoa(c.status)]; !strings.Contains(p.Text, msg) {
					t.Errorf("%s: no %q", c.path, msg)
				}
			}
		}
	}
	// The stylesheet, and nothing else, under /static.
	resp, err := http.Get(te.URL + "/static/dashboard.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/static/nope.css", "/static/..%2flayout.html"} {
		resp, err := http.Get(te.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

// ---- Without a server ----

func TestDashboardCatalogue(t *testing.T) {
	for _, l := range []string{"zh", "en"} {
		o := otherLang(l)
		for k, v := range catalogue[l] {
			if _, ok := catalogue[o][k]; !ok {
				t.Errorf("catalogue: %q is in %s, not in %s", k, l, o)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("catalogue: %q is empty in %s", k, l)
			}
		}
		for k := range enumLabels[l] {
			if _, ok := enumLabels[o][k]; !ok {
				t.Errorf("labels: %q is in %s, not in %s", k, l, o)
			}
		}
	}
	// Chinese text is Chinese: a label that is the same in both languages
	// is most likely untranslated.
	same := 0
	for k, v := range catalogue["zh"] {
		if v == catalogue["en"][k] {
			same++
			t.Logf("the same in both languages: %s = %q", k, v)
		}
	}
	if same > 0 {
		t.Errorf("%d labels are the same in Chinese and English", same)
	}
	// Every value of the ledger's enumerations has a label.
	for group, values := range map[string][]string{
		"kind": ledger.ContributionKinds, "iptype": ledger.IPTypes, "ipstatus": append([]string{"filed"}, ledger.IPStatuses...),
		"mkind": ledger.MemberKinds, "mrole": ledger.MemberRoles, "atype": ledger.AllianceTypes, "legal": ledger.LegalForms,
		"method": ledger.DistributionMethods, "amethod": ledger.AssessmentMethods, "rule": ledger.RiskRules,
		"factor": ledger.Factors, "outcome": ledger.DisputeOutcomes, "principal": Roles,
		"cstatus": {"recorded", "confirmed", "contested"},
	} {
		for _, v := range values {
			for _, l := range []string{"zh", "en"} {
				if _, ok := enumLabels[l][group+"."+v]; !ok {
					t.Errorf("labels: no %s label for %s %q", l, group, v)
				}
			}
		}
	}
	// And every unit of the evaluation's indicators.
	for _, ind := range evaluation.Catalogue {
		for _, l := range []string{"zh", "en"} {
			if _, ok := enumLabels[l]["unit."+ind.Unit]; !ok {
				t.Errorf("labels: no %s label for the unit %q of indicator %s", l, ind.Unit, ind.ID)
			}
		}
	}
	// Every key the templates and the code ask for is in the catalogue.
	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`\.T "([a-z0-9_]+)"`)
	err := fs.WalkDir(webFS, "web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := webFS.ReadFile(path)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goKey := regexp.MustCompile(`(?:pc\.t|pc\.title|\.T)\("([a-z0-9_]+)"\)`)
	files, _ := filepath.Glob("dashboard*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for _, k := range navKeys {
		used["nav_"+k] = true
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the patterns are stale", len(used))
	}
	for k := range used {
		for _, l := range []string{"zh", "en"} {
			if _, ok := catalogue[l][k]; !ok {
				t.Errorf("catalogue: %q is used but not in %s", k, l)
			}
		}
	}
	for k := range catalogue["en"] {
		if !used[k] && !strings.HasPrefix(k, "error_") {
			t.Errorf("catalogue: %q is not used", k)
		}
	}
	// Every page template parsed with the layout.
	for _, name := range []string{"home", "overview", "members", "statement", "projects", "project", "outputs", "payouts",
		"payout", "audit", "evaluation", "login", "error"} {
		if pageTemplates[name] == nil || pageTemplates[name].Lookup("content") == nil {
			t.Errorf("no page template %q", name)
		}
	}
}

func TestDashboardFormat(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{123456789, "CNY", "¥1,234,567.89"},
		{100000, "CNY", "¥1,000.00"},
		{5, "CNY", "¥0.05"},
		{0, "CNY", "¥0.00"},
		{-123400, "CNY", "-¥1,234.00"},
		{99999999999999999, "CNY", "¥999,999,999,999,999.99"},
		{1234567, "JPY", "1,234,567 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{250, "USD", "US$2.50"},
	} {
		got := formatMoney(c.amount, c.currency)
		if got != c.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", c.amount, c.currency, got, c.want)
		}
		back, err := parseMoneyText(got)
		if err != nil || back != (ledger.Money{Amount: c.amount, Currency: c.currency}) {
			t.Errorf("%q reads back as %v, %v", got, back, err)
		}
	}
	if s := formatMoney(-1<<63, "CNY"); s != "-¥92,233,720,368,547,758.08" {
		t.Errorf("the most negative amount: %q", s)
	}
	for _, c := range []struct{ ratio, want string }{
		{"19163297.2", "¥191,632.972"}, {"1012859.5", "¥10,128.595"}, {"1/3", "≈¥0.0033"}, {"100", "¥1.00"},
	} {
		if got := formatUnits(ledger.MustRatio(c.ratio), "CNY"); got != c.want {
			t.Errorf("formatUnits(%s) = %q, want %q", c.ratio, got, c.want)
		}
	}
	for ratio, want := range map[string]string{"508704/782909": "64.98%", "1": "100.00%", "0": "0.00%", "1/8": "12.50%"} {
		if got := formatPercent(ledger.MustRatio(ratio)); got != want {
			t.Errorf("formatPercent(%s) = %q, want %q", ratio, got, want)
		}
	}
	for h, want := range map[string]string{"": "zh", "en": "en", "en-US,en;q=0.9": "en", "zh-TW": "zh", "fr": "zh",
		"en;q=0.4,zh-CN;q=0.6": "zh", "ZH-cn;q=0.2, EN;q=0.3": "en"} {
		if got := acceptLang(h); got != want {
			t.Errorf("acceptLang(%q) = %s, want %s", h, got, want)
		}
	}
	for next, want := range map[string]string{"/a/x?b=c": "/a/x?b=c", "//x": "/", "/\\x": "/", "http://x/": "/", "x": "/",
		"/ok\r\nSet-Cookie: x": "/", "": "/"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
