//go:build browser

package api

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium (apt-get install -y chromium).
const chromiumPath = "/usr/bin/chromium"

// TestBrowserDashboard builds the binary, starts `alliance demo` on a
// loopback port, signs in with the links it prints and loads every
// dashboard page in Chinese and in English in headless Chromium, as the
// secretariat and as member M02, comparing the key figures with the JSON
// API. A second pass with JavaScript disabled signs in through the form
// and finds the same figures. Each page is saved as a full-page screenshot
// under the test's temporary directory (and copied to $BROWSER_SCREENSHOTS
// when set).
//
//	go test -tags browser -run Browser -count=1 -v ./api/
func TestBrowserDashboard(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing (install it with: apt-get install -y chromium): %v", chromiumPath, err)
	}
	start := time.Now()
	tmp := t.TempDir()
	shots := filepath.Join(tmp, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(tmp, "alliance")
	build := exec.Command("go", "build", "-o", bin, "./cmd/alliance")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))

	demo := startDemo(t, bin, filepath.Join(tmp, "data"))
	t.Logf("demo serving %s after %s", demo.url, time.Since(start).Round(time.Millisecond))

	// The API, for the figures the pages must show.
	te := &testEnv{t: t, URL: demo.url, Token: map[string]string{"secretariat": demo.secretariat, "M02": demo.member}}
	paths := dashboardPaths(te, t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.ExecPath(chromiumPath), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("metrics-recording-only", true), chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true), chromedp.Flag("lang", "en-US"))
	defer cancelAlloc()

	var saved []string
	for _, c := range []struct{ who, link string }{{"secretariat", demo.secretariatLink}, {"M02", demo.memberLink}} {
		t.Run(c.who, func(t *testing.T) {
			b := newBrowser(t, alloc, shots, c.who)
			defer b.close()
			// The link that `alliance demo` prints signs the browser in.
			resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(c.link))
			if err != nil {
				t.Fatalf("open the login link: %v", err)
			}
			if u, _ := url.Parse(resp.URL); resp.Status != http.StatusOK || u.Path != "/a/"+sampleAlliance {
				t.Fatalf("the login link ended at %s with %d, want the overview", resp.URL, resp.Status)
			}
			checkLangSwitch(t, b, demo.url)
			for _, lang := range []string{"zh", "en"} {
				t.Run(lang, func(t *testing.T) {
					seen := map[string]bool{}
					testDashboardFigures(t, te, c.who, lang, func(path string) *page {
						seen[path] = true
						return b.load(t, demo.url, path, lang)
					})
					for _, path := range paths {
						if !seen[path] {
							b.load(t, demo.url, path, lang)
						}
					}
				})
			}
			if c.who == "M02" {
				p := b.loadAny(t, demo.url+withLang("/a/"+sampleAlliance+"/members/M03", "en"), "members-M03-en")
				if p.Status != http.StatusForbidden || p.Figures["error-status"].Text != "403" {
					t.Errorf("member M02 opening M03's statement: status %d, figures %v", p.Status, p.Figures)
				}
			}
			saved = append(saved, b.shots...)
		})
	}

	// Without JavaScript: sign in with the form, and read every page.
	t.Run("no-javascript", func(t *testing.T) {
		b := newBrowser(t, alloc, shots, "nojs")
		defer b.close()
		if err := chromedp.Do(b.ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return chromedp.Void{}, err
		}); err != nil {
			t.Fatalf("disable JavaScript: %v", err)
		}
		next := "/a/" + sampleAlliance + "/members"
		if err := chromedp.Do(b.ctx, chromedp.Navigate(demo.url+"/login?lang=en&next="+url.QueryEscape(next)),
			chromedp.SendKeys(chromedp.CSS("#token"), demo.secretariat)); err != nil {
			t.Fatalf("fill the login form: %v", err)
		}
		resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)))
		if err != nil {
			t.Fatalf("submit the login form: %v", err)
		}
		if u, _ := url.Parse(resp.URL); resp.Status != http.StatusOK || u.Path != next {
			t.Fatalf("the login form ended at %s with %d, want %s", resp.URL, resp.Status, next)
		}
		for _, lang := range []string{"zh", "en"} {
			t.Run(lang, func(t *testing.T) {
				testDashboardFigures(t, te, "secretariat", lang, func(path string) *page { return b.load(t, demo.url, path, lang) })
			})
		}
		saved = append(saved, b.shots...)
	})

	demo.stop(t)

	if dir := os.Getenv("BROWSER_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range saved {
			b, err := os.ReadFile(f)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
			}
			if err != nil {
				t.Error(err)
			}
		}
		t.Logf("copied %d screenshots to %s", len(saved), dir)
	}
	names := make([]string, len(saved))
	for i, f := range saved {
		names[i] = filepath.Base(f)
	}
	// One line: the output stays short enough to read the failures above.
	t.Logf("%d screenshots in %s: %s", len(saved), shots, strings.Join(names, " "))
	t.Logf("%s in all", time.Since(start).Round(time.Millisecond))
}

// ---- The demo, as a subprocess ----

type demoProcess struct {
	cmd                         *exec.Cmd
	url                         string
	secretariat, member         string
	secretariatLink, memberLink string

	mu     sync.Mutex
	out    strings.Builder
	exited chan error
}

var (
	servingLine  = regexp.MustCompile(`^serving (https?://127\.0\.0\.1:\d+) `)
	secretLine   = regexp.MustCompile(`^secretariat token: (alt_\w+)$`)
	memberLine   = regexp.MustCompile(`^member M02 token: +(alt_\w+)$`)
	secLinkLine  = regexp.MustCompile(`^dashboard \(secretariat\): (\S+/login\?token=\S+)$`)
	memLinkLine  = regexp.MustCompile(`^dashboard \(member M02\): +(\S+/login\?token=\S+)$`)
	demoStartMax = 3 * time.Minute
)

// startDemo starts `alliance demo` on a free loopback port and reads the
// URL, the tokens and the login links from its output.
func startDemo(t *testing.T, bin, data string) *demoProcess {
	t.Helper()
	d := &demoProcess{exited: make(chan error, 1)}
	d.cmd = exec.Command(bin, "demo", "--data", data, "--addr", "127.0.0.1:0")
	stderr, err := os.Create(filepath.Join(filepath.Dir(data), "demo-stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	d.cmd.Stderr = stderr
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default: // still running: the test failed before stopping it
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.out.WriteString(line + "\n")
			if m := servingLine.FindStringSubmatch(line); m != nil {
				d.url = m[1]
			}
			if m := secretLine.FindStringSubmatch(line); m != nil {
				d.secretariat = m[1]
			}
			if m := memberLine.FindStringSubmatch(line); m != nil {
				d.member = m[1]
			}
			if m := secLinkLine.FindStringSubmatch(line); m != nil {
				d.secretariatLink = m[1]
			}
			if m := memLinkLine.FindStringSubmatch(line); m != nil {
				d.memberLink = m[1]
			}
			all := d.url != "" && d.secretariat != "" && d.member != "" && d.secretariatLink != "" && d.memberLink != ""
			d.mu.Unlock()
			if all && !signalled {
				signalled = true
				close(ready)
			}
		}
		d.exited <- d.cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-d.exited:
		d.exited <- err
		t.Fatalf("alliance demo exited before serving (%v):\n%s\nstderr in %s", err, d.output(), stderr.Name())
	case <-time.After(demoStartMax):
		t.Fatalf("alliance demo printed no URL and login links within %s:\n%s", demoStartMax, d.output())
	}
	for _, link := range []string{d.secretariatLink, d.memberLink} {
		if !strings.HasPrefix(link, d.url+"/login?token=") || !strings.Contains(link, "next=/a/"+sampleAlliance) {
			t.Fatalf("login link %q is not for %s", link, d.url)
		}
	}
	return d
}

func (d *demoProcess) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// stop sends SIGINT and checks that the demo stops cleanly.
func (d *demoProcess) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupt the demo: %v", err)
	}
	select {
	case err := <-d.exited:
		d.exited <- err
		if err != nil {
			t.Errorf("alliance demo exited with %v after SIGINT:\n%s", err, d.output())
		}
		if !strings.Contains(d.output(), "\nstopped\n") {
			t.Errorf("alliance demo did not say it stopped:\n%s", d.output())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("alliance demo did not stop within 30s of SIGINT")
	}
}

// ---- Chromium ----

type browser struct {
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	who    string
	shots  []string
}

// newBrowser starts a browser of its own (its own cookies) for a principal.
func newBrowser(t *testing.T, alloc context.Context, dir, who string) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc)
	// The first run starts the browser; it lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return &browser{ctx: ctx, cancel: cancel, dir: dir, who: who}
}

func (b *browser) close() { b.cancel() }

// load opens a dashboard page in the language, expects it to be served,
// saves a screenshot, and returns the page as its DOM stands.
func (b *browser) load(t *testing.T, base, path, lang string) *page {
	t.Helper()
	p := b.loadAny(t, base+withLang(path, lang), shotName(path, lang))
	if p.Status != http.StatusOK {
		t.Fatalf("%s in %s: status %d\n%.2000s", path, lang, p.Status, p.Body)
	}
	if f, ok := p.Figures["error-status"]; ok {
		t.Fatalf("%s in %s: an error page (%s)", path, lang, f.Text)
	}
	checkDocument(t, p, lang)
	return p
}

// loadAny opens a URL, takes a full-page screenshot, and reads the DOM
// through the DevTools DOM domain (no script runs in the page for it).
func (b *browser) loadAny(t *testing.T, u, name string) *page {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	// chromedp.OuterHTML reads a JavaScript property; DOM.getOuterHTML
	// serialises the node in the browser without running any script.
	readDOM := func() (string, error) {
		return chromedp.Run(ctx, chromedp.QueryAfter(chromedp.CSS("html"),
			func(ctx context.Context, tg *chromedp.Target, nodes []*chromedp.Node) (string, error) {
				if len(nodes) == 0 {
					return "", errors.New("no <html> element")
				}
				res, err := cdp.Call(ctx, tg, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: nodes[0].NodeID})
				return res.OuterHTML, err
			}))
	}
	body, err := readDOM()
	for i := 0; err != nil && strings.Contains(err.Error(), "Could not find node") && i < 5; i++ {
		// The browser replaced the document (its node ids) between the
		// query and the read: read the document as it stands now.
		time.Sleep(100 * time.Millisecond)
		body, err = readDOM()
	}
	if err != nil {
		t.Fatalf("read the DOM of %s: %v", u, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", u, err)
	}
	file := filepath.Join(b.dir, b.who+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.shots, file) {
		b.shots = append(b.shots, file)
	}
	h := http.Header{}
	h.Set("Content-Type", resp.MimeType)
	pu, _ := url.Parse(u)
	return parsePage(t, pu.RequestURI(), int(resp.Status), h, body)
}

// shotName makes a file name of a page's path and language.
func shotName(path, lang string) string {
	rest, inAlliance := strings.CutPrefix(path, "/a/"+sampleAlliance)
	rest = strings.Trim(rest, "/")
	switch {
	case !inAlliance:
		rest = "home" + strings.Trim(path, "/")
	case rest == "" || strings.HasPrefix(rest, "?"):
		rest = "overview" + rest
	}
	r := strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-")
	return r.Replace(rest) + "-" + lang
}

// checkLangSwitch follows the page's language switch link, as a reader
// would, and checks that the page comes back in the other language.
func checkLangSwitch(t *testing.T, b *browser, base string) {
	t.Helper()
	p := b.loadAny(t, base+"/a/"+sampleAlliance+"/projects?lang=zh", "projects-switch-zh")
	if l, _ := attr(p.elements("html")[0], "lang"); l != "zh-CN" {
		t.Fatalf("?lang=zh gave a page in %q", l)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[data-lang-switch]`)))
	if err != nil {
		t.Fatalf("click the language switch: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("the language switch went to %s with %d", resp.URL, resp.Status)
	}
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	if err != nil || lang.Value != "en" {
		t.Fatalf("after the switch the page is in %q (%v)", lang.Value, err)
	}
	// The choice sticks: the next page without lang= is in English too.
	p = b.loadAny(t, base+"/a/"+sampleAlliance+"/outputs", "outputs-after-switch")
	if l, _ := attr(p.elements("html")[0], "lang"); l != "en" {
		t.Errorf("after switching to English the next page is in %q", l)
	}
}
