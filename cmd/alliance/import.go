package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/importer"
)

// importChunk is the most rows one request appends: well under the
// writer's commit caps even for rows with long texts.
const importChunk = 200

// importReport is what an import found and did.
type importReport struct {
	Alliance   string              `json:"alliance"`
	Files      []string            `json:"files"`
	Rows       int                 `json:"rows"`
	ByKind     map[string]int      `json:"rows_by_kind"`
	Errors     []importer.RowError `json:"errors"`
	DryRun     bool                `json:"dry_run"`
	Appended   int                 `json:"appended"`
	Duplicates int                 `json:"already_imported"`
	First      uint64              `json:"first_seq,omitempty"`
	Last       uint64              `json:"last_seq,omitempty"`
	Elapsed    float64             `json:"elapsed_s"`
	ParseS     float64             `json:"parse_s"` // reading the files, rows checked meanwhile
	CheckS     float64             `json:"check_s"` // checking the rows left when the files were read
	AppendS    float64             `json:"append_s"`
}

func runImport(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "template" {
		return runImportTemplate(e, args[1:])
	}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	alliance := fs.String("alliance", e.getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID)")
	dryRun := fs.Bool("dry-run", false, "check every row and print the report; append nothing")
	kind := fs.String("kind", "", "the kind of a CSV file whose name does not say it ("+strings.Join(importer.Kinds, ", ")+")")
	actor := fs.String("actor", "", "principal recorded as the appender (default cli:<user>)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance import [flags] FILE...\n       alliance import template --format xlsx --out FILE\n\nImports members, agreement terms, projects, contributions, IP filings, funding and costs from XLSX")
		fmt.Fprintln(e.stderr, "workbooks (one sheet per kind) or CSV files (one per kind), with Chinese or English headers. Every row is")
		fmt.Fprintln(e.stderr, "checked first, by itself and against the alliance's log plus the rows before it; if any row is bad, the")
		fmt.Fprintln(e.stderr, "report lists every one (sheet, row, column, reason) and nothing is appended. Each row's idempotency key")
		fmt.Fprintln(e.stderr, "comes from the file's content, sheet and row: importing the same file again appends nothing.\n\nFlags:")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *alliance == "" {
		return errors.New("name the alliance with --alliance or $ALLIANCE_ID")
	}
	if len(files) == 0 {
		return errors.New("name the files to import (XLSX workbooks or CSV files)")
	}
	defer batchGC()()
	start := time.Now()
	rep := &importReport{Alliance: *alliance, Files: files, ByKind: map[string]int{}, DryRun: *dryRun, Errors: []importer.RowError{}}

	lc, err := sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	// The alliance's state as its log stands: rows are checked against it
	// and the rows before them.
	st := ledger.NewState(*alliance)
	err = lc.store.Read(ctx, *alliance, 1, func(s ledger.Stored) error {
		ev, err := ledger.DecodeEvent(s.Data)
		if err != nil {
			return st.Skip(s.Seq)
		}
		if err := ev.Payload.Validate(); err != nil {
			return st.Skip(s.Seq)
		}
		return st.Apply(ev)
	})
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return err
	}
	if st.Last() == 0 {
		return fmt.Errorf("alliance %q has no log in %s: found it first (alliance record --alliance %s --file founding.json)", *alliance, sf.where(), *alliance)
	}
	currency, loc := st.BaseCurrency(), st.Location()
	if loc == nil {
		loc = time.UTC
	}

	who := *actor
	if who == "" {
		who = (&writeFlags{}).principal()
	}
	// Rows are checked while the files are still being read: the parser
	// hands each batch of parsed rows to the checker's goroutine. Nothing
	// is appended until every file is read and every row checked.
	t0 := time.Now()
	bar := newProgress(e.stderr, "reading and checking files", len(files))
	ck := &importCheck{st: st, alliance: *alliance, actor: who, now: time.Now().UTC(), rep: rep}
	batches := make(chan checkBatch, 64)
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for b := range batches {
			ck.add(b)
		}
	}()
	var parseErrs []importer.RowError
	for i, path := range files {
		f, err := parseImportFile(path, *kind, importer.Options{Currency: currency, Location: loc,
			Rows: func(f *importer.File, rows []importer.Row) { batches <- checkBatch{f: f, rows: rows} }})
		if err != nil {
			close(batches)
			<-checked
			return err
		}
		batches <- checkBatch{f: f, end: true}
		parseErrs = append(parseErrs, f.Errors...)
		bar.Set(i + 1)
	}
	close(batches)
	rep.ParseS = time.Since(t0).Seconds()
	t0 = time.Now()
	<-checked
	bar.Done()
	// Every file's problems, then those the check found, as when the
	// files were read first and checked after.
	rep.Errors = append(append(rep.Errors, parseErrs...), ck.errs...)
	reqs := ck.reqs
	rep.CheckS = time.Since(t0).Seconds()
	t0 = time.Now()

	if len(rep.Errors) == 0 && !*dryRun && len(reqs) > 0 {
		n := 0
		for _, req := range reqs {
			n += len(req.Commands)
		}
		kf := keyFlags{path: e.getenv("ALLIANCE_KEY")}
		opts := ledger.WriterOptions{Logger: lc.logger}
		tree := startImportTree(ctx, lc, sf, kf, *alliance, int(st.Last()), n)
		if tree != nil {
			opts.OnCommit = tree.onCommit
		}
		w := ledger.NewWriter(lc.store, opts)
		bar := newProgress(e.stderr, "appending", len(reqs))
		rcs, err := w.AppendInOrder(ctx, reqs, bar.Set) // counts requests
		bar.Done()
		w.Close()
		for i, rc := range rcs {
			if rc.Duplicate {
				rep.Duplicates += len(reqs[i].Commands)
				continue
			}
			rep.Appended += len(reqs[i].Commands)
			if rep.First == 0 {
				rep.First = rc.First
			}
			rep.Last = rc.Last
		}
		if err != nil {
			if tree != nil {
				tree.stop()
			}
			return fmt.Errorf("import stopped after %d rows (running it again appends the rest, and nothing twice): %w", rep.Appended, err)
		}
		rep.AppendS = time.Since(t0).Seconds()
		if tree != nil {
			tree.checkpoint(ctx, e, lc, *alliance)
		} else {
			checkpointIfDue(ctx, e, lc, sf, kf, *alliance)
		}
	}
	rep.Elapsed = time.Since(start).Seconds()
	if *asJSON {
		if err := printJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		writeImportReport(e.stdout, rep)
	}
	if len(rep.Errors) > 0 {
		return fmt.Errorf("%d problems found; nothing was appended", len(rep.Errors))
	}
	return nil
}

// checkBatch is rows of a file as parsed, or the end of the file.
type checkBatch struct {
	f    *importer.File
	rows []importer.Row
	end  bool
}

// importCheck checks rows in file order against the alliance's state and
// the rows before them, and makes the requests that append them.
type importCheck struct {
	st       *ledger.State
	alliance string
	actor    string
	now      time.Time
	rep      *importReport // Rows, ByKind, Duplicates

	reqs []ledger.Request
	errs []importer.RowError
	rows []importer.Row // the current file's rows of a chunk not yet whole
}

func (c *importCheck) add(b checkBatch) {
	// Rows are appended in chunks of consecutive rows of one sheet, one
	// request each: a chunk is atomic, and its key (the file's digest,
	// the sheet, the first and last row) is the same on every run of
	// the same file, so a second run appends nothing. A chunk is taken
	// once it is whole: full, followed by another sheet's row, or at the
	// end of the file; the rows of one not yet whole wait for the next
	// batch.
	rows := b.rows
	if len(c.rows) > 0 {
		n := 0
		for n < len(rows) && len(c.rows)+n < importChunk && rows[n].Sheet == c.rows[0].Sheet {
			n++
		}
		c.rows = append(c.rows, rows[:n]...)
		rows = rows[n:]
		if len(rows) == 0 && len(c.rows) < importChunk && !b.end {
			return
		}
		c.chunk(b.f, c.rows)
		clear(c.rows)
		c.rows = c.rows[:0]
	}
	for lo := 0; lo < len(rows); {
		hi := lo + 1
		for hi < len(rows) && hi-lo < importChunk && rows[hi].Sheet == rows[lo].Sheet {
			hi++
		}
		if hi == len(rows) && hi-lo < importChunk && !b.end {
			c.rows = append(c.rows, rows[lo:]...)
			return
		}
		c.chunk(b.f, rows[lo:hi])
		lo = hi
	}
}

func (c *importCheck) chunk(f *importer.File, chunk []importer.Row) {
	key := "import/" + f.Digest[:16] + "/" + chunk[0].Sheet + "/" + strconv.Itoa(chunk[0].Row) + "-" + strconv.Itoa(chunk[len(chunk)-1].Row)
	for _, row := range chunk {
		c.rep.Rows++
		c.rep.ByKind[row.Kind]++
	}
	if c.st.KeyUsed(key) {
		c.rep.Duplicates += len(chunk)
		return
	}
	req := ledger.Request{Alliance: c.alliance, Actor: c.actor, IdempotencyKey: key, Commands: make([]ledger.Command, 0, len(chunk))}
	for _, row := range chunk {
		cmd := row.Command
		ev := &ledger.Event{Seq: c.st.Last() + 1, Type: cmd.Type, Alliance: c.alliance, Actor: c.actor,
			OccurredAt: cmd.OccurredAt.UTC(), RecordedAt: c.now, IdempotencyKey: key, Payload: cmd.Payload}
		// The importer validated every row's payload by itself already.
		if err := c.st.CheckValidated(ev); err != nil {
			c.errs = append(c.errs, rowError(row, err))
			continue
		}
		req.Commands = append(req.Commands, cmd)
	}
	c.reqs = append(c.reqs, req)
}

// rowError turns a validation error into a report line, naming the column
// when the error names a field the row filled.
func rowError(row importer.Row, err error) importer.RowError {
	re := importer.RowError{Sheet: row.Sheet, Row: row.Row, Reason: err.Error()}
	var fe *ledger.FieldError
	if errors.As(err, &fe) {
		re.Column = strings.TrimPrefix(fe.Field, "payload.")
		re.Reason = fe.Rule
	}
	return re
}

func parseImportFile(path, kind string, opts importer.Options) (*importer.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		f, err := importer.ParseXLSX(bytes.NewReader(data), opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return f, nil
	case ".csv":
		k := kind
		if k == "" {
			var ok bool
			if k, ok = importer.KindOfFileName(filepath.Base(path)); !ok {
				return nil, fmt.Errorf("%s: the file name does not say what it holds; name it after its kind (members.csv, contributions.csv, 投入.csv...) or give --kind", path)
			}
		}
		f, err := importer.ParseCSV(bytes.NewReader(data), filepath.Base(path), k, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s: import reads .xlsx workbooks and .csv files", path)
}

func writeImportReport(w io.Writer, rep *importReport) {
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "%d problems in %d rows; nothing was appended:\n", len(rep.Errors), rep.Rows)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  SHEET\tROW\tCOLUMN\tREASON")
		for _, e := range rep.Errors {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", e.Sheet, e.Row, e.Column, e.Reason)
		}
		tw.Flush()
		return
	}
	var kinds []string
	for _, k := range importer.Kinds {
		if n := rep.ByKind[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	switch {
	case rep.DryRun:
		fmt.Fprintf(w, "dry run: %d rows check out (%s); %d were imported before; nothing appended\n", rep.Rows, strings.Join(kinds, ", "), rep.Duplicates)
	case rep.Appended == 0:
		fmt.Fprintf(w, "nothing appended: all %d rows were imported before (%s)\n", rep.Rows, strings.Join(kinds, ", "))
	default:
		fmt.Fprintf(w, "imported %d rows into %s at positions %d-%d (%s); %d were imported before; %.1fs\n",
			rep.Appended, rep.Alliance, rep.First, rep.Last, strings.Join(kinds, ", "), rep.Duplicates, rep.Elapsed)
	}
}

func runImportTemplate(e *env, args []string) error {
	fs := flag.NewFlagSet("import template", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "xlsx", "the template's format (xlsx)")
	out := fs.String("out", "", "the file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "xlsx" {
		return fmt.Errorf("--format %q: templates are XLSX workbooks", *format)
	}
	if *out == "" {
		return errors.New("name the template file with --out")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := importer.Template(f); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the import template %s: one sheet per kind (%s), headers in Chinese and English, an example row each\n", *out, strings.Join(importer.Kinds, ", "))
	return nil
}
