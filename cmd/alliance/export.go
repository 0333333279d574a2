package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/export"
)

// exportables are what `alliance export` writes.
var exportables = []string{"log", "balances", "risk", "outputs", "payouts", "statement", "views", "records"}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var vf viewFlags
	vf.register(fs, e.getenv)
	what := fs.String("what", "views", "what to export: "+strings.Join(exportables, ", ")+" (views: balances, risk, outputs and payouts; records: members, projects, contributions, IP, funding and costs in the import workbook's format)")
	format := fs.String("format", "", "jsonl (the log), csv or xlsx (views); default from --out's extension")
	out := fs.String("out", "", "the file to write (CSV of several tables: a directory); default stdout for jsonl and csv")
	member := fs.String("member", "", "the member of a statement")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance export --what log|balances|risk|outputs|payouts|statement|views [--format csv|xlsx|jsonl] [--out FILE] [flags]\n\nExports the log as JSON lines (each event's exact stored bytes, up to --as-of-seq), or the views as of a")
		fmt.Fprintln(e.stderr, "position (or for a period) as CSV or XLSX, amounts exact in major units.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if !contains(exportables, *what) {
		return fmt.Errorf("--what %q: want one of %s", *what, strings.Join(exportables, ", "))
	}
	if *format == "" {
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".xlsx":
			*format = "xlsx"
		case ".jsonl", ".ndjson":
			*format = "jsonl"
		default:
			*format = "csv"
			if *what == "log" {
				*format = "jsonl"
			}
		}
	}
	if (*what == "log") != (*format == "jsonl") {
		return fmt.Errorf("the log exports as jsonl, the views as csv or xlsx (got --what %s --format %s)", *what, *format)
	}
	if *format == "xlsx" && *out == "" {
		return errors.New("name the XLSX file with --out")
	}
	v, err := vf.open(ctx, e)
	if err != nil {
		return err
	}
	defer v.Close()

	if *what == "log" {
		w, closeOut, err := outFile(e, *out)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		upTo := v.query.Seq
		err = v.lc.store.Read(ctx, vf.alliance, 1, func(st ledger.Stored) error {
			if upTo != 0 && st.Seq > upTo {
				return errStopRead
			}
			bw.Write(st.Data)
			return bw.WriteByte('\n')
		})
		if err != nil && !errors.Is(err, errStopRead) {
			closeOut()
			return err
		}
		if err := bw.Flush(); err != nil {
			closeOut()
			return err
		}
		return closeOut()
	}

	var tables []export.Table
	if *what == "records" {
		if tables, err = recordTables(ctx, v.lc.store, vf.alliance, v.query.Seq); err != nil {
			return err
		}
	}
	err = v.runner.View(func(m *projections.Model) error {
		q := v.query
		add := func(ts ...export.Table) { tables = append(tables, ts...) }
		if *what == "balances" || *what == "views" {
			b, err := m.Balances(q)
			if err != nil {
				return err
			}
			add(export.Balances(b)...)
		}
		if *what == "statement" {
			if *member == "" {
				return errors.New("name the member of the statement with --member")
			}
			b, err := m.Balances(q)
			if err != nil {
				return err
			}
			ts, err := export.Statement(b, *member)
			if err != nil {
				return err
			}
			add(ts...)
		}
		if *what == "risk" || *what == "views" {
			r, err := m.Risk(q)
			if err != nil {
				return err
			}
			add(export.Risk(r))
		}
		if *what == "outputs" || *what == "views" {
			o, err := m.Outputs(q)
			if err != nil {
				return err
			}
			add(export.Outputs(o)...)
		}
		if *what == "payouts" || *what == "views" {
			t, err := export.Payouts(m, q.Seq)
			if err != nil {
				return err
			}
			add(t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch *format {
	case "xlsx":
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := export.WriteXLSX(f, tables); err != nil {
			f.Close()
			os.Remove(*out)
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s: %d sheets\n", *out, len(tables))
		return nil
	case "csv":
		if len(tables) == 1 {
			w, closeOut, err := outFile(e, *out)
			if err != nil {
				return err
			}
			if err := export.WriteCSV(w, tables[0]); err != nil {
				closeOut()
				return err
			}
			return closeOut()
		}
		if *out == "" {
			return fmt.Errorf("%d tables: name a directory for their CSV files with --out", len(tables))
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		for _, t := range tables {
			f, err := os.Create(filepath.Join(*out, t.Name+".csv"))
			if err != nil {
				return err
			}
			if err := export.WriteCSV(f, t); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "wrote %d CSV files to %s\n", len(tables), *out)
		return nil
	}
	return fmt.Errorf("--format %q: want jsonl, csv or xlsx", *format)
}

// outFile opens the output (stdout when path is "").
func outFile(e *env, path string) (io.Writer, func() error, error) {
	if path == "" {
		return e.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
