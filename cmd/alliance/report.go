package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/evaluation"
)

func runReport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "evaluation" {
		fmt.Fprintln(e.stderr, "Usage: alliance report evaluation --period 2025 [flags]")
		return errUsage
	}
	args = args[1:]
	fs := flag.NewFlagSet("report evaluation", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var vf viewFlags
	vf.register(fs, e.getenv)
	scheme := fs.String("scheme", "", "the evaluation scheme (default: the only one adopted)")
	member := fs.String("member", "", "evaluate this member instead of the alliance")
	format := fs.String("format", "text", "text, json, csv or html")
	out := fs.String("out", "", "write the report to this file (default stdout)")
	compare := fs.String("compare", "", "compare with another period (2024, 2024-Q3, ...)")
	trend := fs.String("trend", "", "periods for the trend chart of the HTML report, comma-separated (e.g. 2023,2024,2025)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance report evaluation --period 2025 [flags]\n\nEvaluates the alliance (or a member) over a business period by its evaluation scheme: each indicator")
		fmt.Fprintln(e.stderr, "computed from the log or from expert ratings, weighted, composed by fuzzy comprehensive evaluation")
		fmt.Fprintln(e.stderr, "into a 0–100 score and its activity band. Every figure cites the events or ratings behind it.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if vf.period == "" && (vf.from == "" || vf.to == "") {
		return errors.New("give the period: --period 2025 (or 2025-Q3, 2025-07), or --from and --to")
	}
	if vf.asJSON {
		*format = "json"
	}
	switch *format {
	case "text", "json", "csv", "html":
	default:
		return fmt.Errorf("--format %q: want text, json, csv or html", *format)
	}
	v, err := vf.open(ctx, e)
	if err != nil {
		return err
	}
	defer v.Close()
	label := vf.period
	if label == "" {
		label = vf.from + " – " + vf.to
	}
	evaluate := func(m *projections.Model, label string, q projections.Query) (*evaluation.Report, error) {
		return evaluation.Evaluate(m, evaluation.Options{Scheme: *scheme, From: q.From, To: q.To, Label: label, AsOf: v.query.Seq, Member: *member})
	}
	var main, other *evaluation.Report
	var series []*evaluation.Report
	err = v.runner.View(func(m *projections.Model) (err error) {
		if main, err = evaluate(m, label, v.query); err != nil {
			return err
		}
		if *compare != "" {
			var q projections.Query
			if q.From, q.To, err = projections.ParsePeriod(*compare, m.Location()); err != nil {
				return fmt.Errorf("--compare: %w", err)
			}
			if other, err = evaluate(m, *compare, q); err != nil {
				return fmt.Errorf("--compare %s: %w", *compare, err)
			}
		}
		for _, p := range strings.Split(*trend, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			var q projections.Query
			if q.From, q.To, err = projections.ParsePeriod(p, m.Location()); err != nil {
				return fmt.Errorf("--trend: %w", err)
			}
			r, err := evaluate(m, p, q)
			if err != nil {
				return fmt.Errorf("--trend %s: %w", p, err)
			}
			series = append(series, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w := e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	switch *format {
	case "json":
		return printJSON(w, struct {
			*evaluation.Report
			Compare *evaluation.Report   `json:"compare,omitempty"`
			Trend   []*evaluation.Report `json:"trend,omitempty"`
		}{main, other, series})
	case "csv":
		return writeEvaluationCSV(w, main, other)
	case "html":
		events := map[uint64]string{}
		for _, d := range main.Dimensions {
			for _, ind := range d.Indicators {
				for _, s := range append(append([]uint64(nil), ind.Events...), ind.Ratings...) {
					events[s] = ""
				}
			}
		}
		// The appendix shows each cited event as stored.
		err := v.lc.store.Read(ctx, vf.alliance, 1, func(st ledger.Stored) error {
			if st.Seq > main.AsOf {
				return errStopRead
			}
			if _, ok := events[st.Seq]; ok {
				events[st.Seq] = string(st.Data)
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopRead) {
			return err
		}
		if err := writeEvaluationHTML(w, main, other, series, events); err != nil {
			return err
		}
		if *out != "" {
			fmt.Fprintf(e.stdout, "wrote %s\n", *out)
		}
		return nil
	}
	return writeEvaluationText(w, main, other)
}

func writeEvaluationText(w io.Writer, r, other *evaluation.Report) error {
	who := "alliance " + r.Alliance
	if r.Member != "" {
		who = "member " + r.Member + " of alliance " + r.Alliance
	}
	fmt.Fprintf(w, "Evaluation of %s, period %s (%s to %s), as of position %d\n", who, r.Period, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"), r.AsOf)
	fmt.Fprintf(w, "Scheme %s v%d (position %d). Score %s: %s (%s)\n", r.Scheme, r.SchemeVersion, r.SchemeSeq, r.ScoreText, r.Band.EN, r.Band.ZH)
	if other != nil {
		fmt.Fprintf(w, "Compared with %s: %s (%s), %+.1f\n", other.Period, other.ScoreText, other.Band.EN, delta(r.Score, other.Score))
	}
	for _, d := range r.Dimensions {
		fmt.Fprintf(w, "\n%s %s — weight %s, score %s (indicator weights: %s)\n", d.ZH, d.EN, short(d.Weight), d.ScoreText, d.Weighting)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  INDICATOR\tVALUE\tUNIT\tSCORE\tWEIGHT\tFROM")
		for _, ind := range d.Indicators {
			val, score := ind.ValueText, short(ind.Score)
			if ind.Rated {
				val = "rated"
			}
			if ind.Missing {
				val, score = "—", "—"
			}
			from := fmt.Sprintf("%d events", len(ind.Events))
			if ind.Rated {
				from = fmt.Sprintf("ratings %v", ind.Ratings)
			} else if len(ind.Events) <= 6 && len(ind.Events) > 0 {
				from = fmt.Sprintf("events %v", ind.Events)
			}
			if ind.Note != "" {
				from += " (" + ind.Note + ")"
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\t%s\t%s\t%s\n", ind.ID, ind.ZH, val, ind.Unit, score, short(ind.Weight), from)
		}
		tw.Flush()
	}
	return nil
}

// short shows an exact ratio to two decimals.
func short(r ledger.Ratio) string { return r.Rat().FloatString(2) }

func delta(a, b ledger.Ratio) float64 {
	fa, _ := a.Rat().Float64()
	fb, _ := b.Rat().Float64()
	return fa - fb
}

func writeEvaluationCSV(w io.Writer, r, other *evaluation.Report) error {
	cw := csv.NewWriter(w)
	head := []string{"period", "dimension", "dimension_weight", "indicator", "name_zh", "name_en", "unit", "value", "score", "weight", "rated", "missing", "events", "ratings"}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, rep := range []*evaluation.Report{r, other} {
		if rep == nil {
			continue
		}
		for _, d := range rep.Dimensions {
			for _, ind := range d.Indicators {
				val := ""
				if ind.Value != nil {
					val = ind.Value.Rat().FloatString(4)
				}
				cw.Write([]string{rep.Period, d.ID, d.Weight.String(), ind.ID, ind.ZH, ind.EN, ind.Unit, val, ind.Score.Rat().FloatString(4),
					ind.Weight.String(), fmt.Sprint(ind.Rated), fmt.Sprint(ind.Missing), joinSeqs(ind.Events), joinSeqs(ind.Ratings)})
			}
			cw.Write([]string{rep.Period, d.ID, d.Weight.String(), "", d.ZH, d.EN, "score", "", d.Score.Rat().FloatString(4), "", "", "", "", ""})
		}
		cw.Write([]string{rep.Period, "", "", "", "总分 " + rep.Band.ZH, "total, " + rep.Band.EN, "score", "", rep.Score.Rat().FloatString(4), "", "", "", "", ""})
	}
	cw.Flush()
	return cw.Error()
}

func joinSeqs(s []uint64) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, " ")
}

// radar draws the dimension scores as an SVG polygon on 0–100 axes.
func radar(r *evaluation.Report) template.HTML {
	const cx, cy, rad = 160.0, 150.0, 110.0
	n := len(r.Dimensions)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 320 300" width="320" height="300" role="img" aria-label="radar of the dimension scores">`)
	point := func(i int, frac float64) (float64, float64) {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(n)
		return cx + rad*frac*math.Cos(a), cy + rad*frac*math.Sin(a)
	}
	for _, ring := range []float64{0.25, 0.5, 0.75, 1} {
		var pts []string
		for i := range n {
			x, y := point(i, ring)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="none" stroke="#ccc"/>`, strings.Join(pts, " "))
	}
	var pts []string
	for i, d := range r.Dimensions {
		s, _ := d.Score.Rat().Float64()
		x, y := point(i, s/100)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		lx, ly := point(i, 1.12)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s %s</text>`, lx, ly, template.HTMLEscapeString(d.ZH), d.ScoreText)
	}
	fmt.Fprintf(&b, `<polygon points="%s" fill="rgba(30,100,200,0.3)" stroke="#1e64c8" stroke-width="2"/></svg>`, strings.Join(pts, " "))
	return template.HTML(b.String())
}

// trendChart draws the total and dimension scores over periods.
func trendChart(series []*evaluation.Report) template.HTML {
	if len(series) < 2 {
		return ""
	}
	const w, h, pad = 480.0, 220.0, 30.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="scores over periods">`, w, h, w, h)
	x := func(i int) float64 { return pad + (w-2*pad)*float64(i)/float64(len(series)-1) }
	y := func(s float64) float64 { return h - pad - (h-2*pad)*s/100 }
	colors := []string{"#222", "#1e64c8", "#c8641e", "#2a9d5c"}
	lines := []struct {
		name  string
		score func(*evaluation.Report) ledger.Ratio
	}{{"总分 total", func(r *evaluation.Report) ledger.Ratio { return r.Score }}}
	for i := range series[0].Dimensions {
		lines = append(lines, struct {
			name  string
			score func(*evaluation.Report) ledger.Ratio
		}{series[0].Dimensions[i].ZH, func(r *evaluation.Report) ledger.Ratio { return r.Dimensions[i].Score }})
	}
	for li, l := range lines {
		var pts []string
		for i, r := range series {
			s, _ := l.score(r).Rat().Float64()
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(s)))
		}
		c := colors[li%len(colors)]
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), c)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" fill="%s">%s</text>`, pad, 14+14*float64(li), c, template.HTMLEscapeString(l.name))
	}
	for i, r := range series {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle">%s</text>`, x(i), h-8, template.HTMLEscapeString(r.Period))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var evaluationPage = template.Must(template.New("evaluation").Funcs(template.FuncMap{
	"short": short, "radar": radar, "trend": trendChart,
}).Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{{.R.Alliance}} 绩效评价 {{.R.Period}}</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:1em auto;padding:0 1em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 6px;font-size:13px}th{background:#f4f4f4}.n{text-align:right}pre{white-space:pre-wrap;font-size:11px;background:#f8f8f8;padding:4px}.band{font-size:1.4em}</style></head>
<body>
<h1>{{.R.Alliance}}{{if .R.Member}} · {{.R.Member}}{{end}} 绩效评价 / performance evaluation {{.R.Period}}</h1>
<p>{{.R.From.Format "2006-01-02"}} – {{.R.To.Format "2006-01-02"}}, as of log position {{.R.AsOf}}; scheme {{.R.Scheme}} v{{.R.SchemeVersion}} (position {{.R.SchemeSeq}}).</p>
<p class="band">总分 score <b>{{.R.ScoreText}}</b> · 活跃度 {{.R.Band.ZH}} / {{.R.Band.EN}}{{if .C}} · {{.C.Period}}: {{.C.ScoreText}} ({{.C.Band.EN}}){{end}}</p>
<p>Memberships over the grades {{range $i, $g := .R.Grades}}{{$g}} {{short (index $.R.Memberships $i)}}{{if $.R.GradeValues}} {{end}}{{end}}</p>
{{radar .R}} {{trend .T}}
{{range .R.Dimensions}}
<h2>{{.ZH}} / {{.EN}} — {{.ScoreText}}</h2>
<p>weight {{short .Weight}}; indicator weights: {{.Weighting}}</p>
<table><tr><th>indicator</th><th>value</th><th>unit</th><th>score</th><th>weight</th><th>behind it</th></tr>
{{range .Indicators}}<tr id="ind-{{.ID}}"><td>{{.ZH}} {{.EN}}</td><td class="n">{{if .Missing}}—{{else if .Rated}}rated{{else}}{{.ValueText}}{{end}}</td><td>{{.Unit}}</td>
<td class="n">{{if .Missing}}—{{else}}{{short .Score}}{{end}}</td><td class="n">{{short .Weight}}</td>
<td>{{range .Events}}<a href="#e{{.}}">{{.}}</a> {{end}}{{range .Ratings}}<a href="#e{{.}}">rating {{.}}</a> {{end}}{{.Note}}</td></tr>
{{end}}</table>
{{end}}
<h2>Events and ratings cited</h2>
{{range $seq, $data := .E}}<p id="e{{$seq}}"><b>{{$seq}}</b></p><pre>{{$data}}</pre>{{end}}
</body></html>
`))

func writeEvaluationHTML(w io.Writer, r, other *evaluation.Report, series []*evaluation.Report, events map[uint64]string) error {
	return evaluationPage.Execute(w, map[string]any{"R": r, "C": other, "T": series, "E": events})
}
