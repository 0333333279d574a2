package api

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are inline SVG drawn on the server: no script, no stylesheet of
// their own (presentation attributes only), a <title> on every mark for a
// tooltip, and a title and description for screen readers. Each page
// shows the figures behind a chart in a table too.

// palette is a colour per series, distinguishable in print and on screen.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#79706e"}

// chartSeries is one series of a stacked chart.
type chartSeries struct {
	Label, Color string
}

// legendItem is a series in a chart's legend.
type legendItem struct {
	Label, Color string
}

func legend(series []chartSeries) []legendItem {
	out := make([]legendItem, len(series))
	for i, s := range series {
		out[i] = legendItem{Label: s.Label, Color: s.Color}
	}
	return out
}

var esc = template.HTMLEscapeString

// svgOpen starts an accessible SVG of the given size.
func svgOpen(b *strings.Builder, id string, w, h float64, title, desc string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h, id, id)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
}

// chartID makes an element id from a title, stable for the same title.
func chartID(title string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(title); i++ {
		h = (h ^ uint32(title[i])) * 16777619
	}
	return fmt.Sprintf("c%08x", h)
}

// niceScale returns an axis maximum at or above top and its tick step: 1,
// 2 or 5 times a power of ten, about four ticks.
func niceScale(top float64) (float64, float64) {
	if top <= 0 {
		return 1, 1
	}
	raw := top / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	return math.Ceil(top/step) * step, step
}

// stackedBars draws a column per category stacking the series' values
// (non-negative). tip formats a value exactly, for tooltips; axis
// approximately, for the axis.
func stackedBars(title, desc string, cats []string, series []chartSeries, values [][]int64, tip, axis func(int64) string) template.HTML {
	const h, left, right, top, bottom = 300.0, 78.0, 12.0, 16.0, 46.0
	// Columns share about 640 units, between 40 and 110 each.
	slot := min(max(640/float64(max(len(cats), 1)), 40), 110)
	w := left + right + slot*float64(len(cats))
	var most int64
	for _, vs := range values {
		var s int64
		for _, v := range vs {
			s += max(v, 0)
		}
		most = max(most, s)
	}
	axMax, step := niceScale(float64(most))
	y := func(v float64) float64 { return top + (h-top-bottom)*(1-v/axMax) }
	var b strings.Builder
	id := chartID(title)
	svgOpen(&b, id, w, h, title, desc)
	for t := 0.0; t <= axMax+step/2; t += step {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd" stroke-width="1"/>`, left, w-right, y(t), y(t))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, left-6, y(t)+4, esc(axis(int64(t))))
	}
	bw := min(slot*0.7, 64)
	for i, c := range cats {
		x := left + slot*float64(i) + (slot-bw)/2
		acc := 0.0
		for j, v := range values[i] {
			if v <= 0 {
				continue
			}
			y0, y1 := y(acc), y(acc+float64(v))
			acc += float64(v)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s · %s: %s</title></rect>`,
				x, y1, bw, max(y0-y1, 0.5), series[j].Color, esc(c), esc(series[j].Label), esc(tip(v)))
		}
		lx, ly := x+bw/2, h-bottom+14
		if len(cats) > 8 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="#333" transform="rotate(-35 %.1f %.1f)">%s</text>`, lx+4, ly, lx+4, ly, esc(c))
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#333">%s</text>`, lx, ly, esc(c))
		}
	}
	fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#888" stroke-width="1"/>`, left, w-right, y(0), y(0))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// hbar is one bar of a horizontal bar chart.
type hbar struct {
	Label string  // left of the bar
	Value float64 // in the chart's units
	Text  string  // right of the bar
	Tip   string  // the tooltip: the exact figure
	Color string  // "" for the first colour of the palette
}

// hbars draws a bar per item, scaled to top.
func hbars(title, desc string, bars []hbar, top float64) template.HTML {
	const w, row, labelW, textW, pad = 720.0, 26.0, 210.0, 110.0, 8.0
	h := pad*2 + row*float64(len(bars))
	if top <= 0 {
		top = 1
	}
	var b strings.Builder
	id := chartID(title)
	svgOpen(&b, id, w, h, title, desc)
	span := w - labelW - textW
	for i, br := range bars {
		y := pad + row*float64(i)
		color := br.Color
		if color == "" {
			color = palette[0]
		}
		bw := span * max(br.Value, 0) / top
		label := []rune(br.Label)
		if len(label) > 18 {
			label = append(label[:17], '…')
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="12" text-anchor="end" fill="#333">%s</text>`, labelW-8, y+row/2+4, esc(string(label)))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, labelW, y+4, max(bw, 0.5), row-8, color, esc(br.Tip))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#333">%s</text>`, labelW+bw+6, y+row/2+4, esc(br.Text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// radarAxis is a score of 0–100 on a radar chart.
type radarAxis struct {
	Label string
	Score float64
	Text  string
}

// radar draws scores of 0–100 as a polygon on rings at 25, 50, 75, 100.
func radar(title, desc string, axes []radarAxis) template.HTML {
	const w, h, cx, cy, rad = 600.0, 330.0, 300.0, 170.0, 105.0
	n := len(axes)
	point := func(i int, frac float64) (float64, float64) {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(n)
		return cx + rad*frac*math.Cos(a), cy + rad*frac*math.Sin(a)
	}
	var b strings.Builder
	id := chartID(title)
	svgOpen(&b, id, w, h, title, desc)
	for _, ring := range []float64{0.25, 0.5, 0.75, 1} {
		var pts []string
		for i := range n {
			x, y := point(i, ring)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="none" stroke="#ccc"/>`, strings.Join(pts, " "))
		x, y := point(0, ring)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#888">%.0f</text>`, x+3, y+10, ring*100)
	}
	var pts []string
	for i, a := range axes {
		x, y := point(i, 1)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`, cx, cy, x, y)
		px, py := point(i, min(max(a.Score, 0), 100)/100)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
	}
	fmt.Fprintf(&b, `<polygon points="%s" fill="#4e79a7" fill-opacity="0.3" stroke="#4e79a7" stroke-width="2"/>`, strings.Join(pts, " "))
	for i, a := range axes {
		px, py := point(i, min(max(a.Score, 0), 100)/100)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#4e79a7"><title>%s: %s</title></circle>`, px, py, esc(a.Label), esc(a.Text))
		lx, ly := point(i, 1.18)
		anchor := "middle"
		switch {
		case lx < cx-10:
			anchor = "end"
		case lx > cx+10:
			anchor = "start"
		}
		if ly < cy {
			ly -= 14 // above the chart: the two lines go up
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="%s" fill="#333">%s<tspan x="%.1f" dy="15" font-weight="700">%s</tspan></text>`,
			lx, ly+4, anchor, esc(a.Label), lx, esc(a.Text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
