package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressBar draws a bar on a terminal and stays silent otherwise, so that
// scripts and logs get only the summary.
type progressBar struct {
	w       io.Writer
	label   string
	total   int
	enabled bool
	last    time.Time
}

func newProgress(w io.Writer, label string, total int) *progressBar {
	return &progressBar{w: w, label: label, total: total, enabled: isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progressBar) Set(done int) {
	if !p.enabled || (time.Since(p.last) < 100*time.Millisecond && done < p.total) {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("█", n), strings.Repeat("░", width-n), done, p.total)
}

func (p *progressBar) Done() {
	if p.enabled {
		fmt.Fprintln(p.w)
	}
}
