package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// ParseCSV reads one CSV file of one kind (the caller says which, usually
// from the file name, see KindOfFileName). name is the file's name or
// path; errors name its base name as the sheet. The file may be UTF-8 (with
// or without the BOM Excel writes), UTF-16 with a BOM, or GB18030/GBK (what
// Excel saves as "CSV" on a Chinese Windows); the separator is ',', or tab
// or ';' when the header row uses those. Row numbers count records, as
// Excel shows them: a quoted value spanning lines is one row.
func ParseCSV(r io.Reader, name, kind string, opts Options) (*File, error) {
	k := kinds[kind]
	if k == nil {
		return nil, fmt.Errorf("importer: unknown kind %q (one of %s)", kind, strings.Join(Kinds, ", "))
	}
	pc, err := newParseCtx(opts)
	if err != nil {
		return nil, err
	}
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("importer: read %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	f := &File{Digest: hex.EncodeToString(sum[:])}
	text, err := decodeText(data)
	if err != nil {
		return nil, fmt.Errorf("importer: %s: %w", name, err)
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = detectComma(text)
	cr.FieldsPerRecord = -1
	// One row per line, nearly: room for them all saves regrowing.
	f.Rows = make([]Row, 0, bytes.Count(text, []byte{'\n'}))
	p := &sheetParser{f: f, pc: pc, sheet: baseName(name), k: k}
	// Splitting the records runs on a goroutine of its own, while the
	// rows before them are converted.
	src := newPrefetch(&csvSource{r: cr})
	err = p.run(src)
	src.stop()
	if err != nil {
		return nil, fmt.Errorf("importer: %s: %w", name, err)
	}
	return f, nil
}

// readAll is io.ReadAll with the buffer sized at once when the reader
// knows its length (a bytes.Reader over a file read whole): a file of
// megabytes is then not copied over and over as the buffer grows.
func readAll(r io.Reader) ([]byte, error) {
	l, ok := r.(interface{ Len() int })
	if !ok {
		return io.ReadAll(r)
	}
	var b bytes.Buffer
	b.Grow(l.Len() + bytes.MinRead) // ReadFrom wants MinRead bytes free
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// baseName is the last element of a path, '/' or '\' separated (a
// Windows path given on any system).
func baseName(name string) string {
	return path.Base(strings.ReplaceAll(name, "\\", "/"))
}

// KindOfFileName tells the kind of a CSV file from its name:
// "contributions.csv", "投入.csv", "members-2024.csv", "2025年投入明细.csv",
// "投入 contributions.csv". The aliases are those of sheet names.
func KindOfFileName(name string) (string, bool) {
	base := baseName(name)
	if ext := path.Ext(base); ext != "" {
		switch strings.ToLower(ext) {
		case ".csv", ".tsv", ".txt", ".xlsx", ".xlsm":
			base = strings.TrimSuffix(base, ext)
		}
	}
	return kindOfName(base)
}

// decodeText returns the file as UTF-8 without a byte order mark.
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		if len(data)%2 != 0 {
			return nil, errors.New("UTF-16 text with an odd number of bytes")
		}
		le := data[0] == 0xFF
		u := make([]uint16, 0, len(data)/2-1)
		for i := 2; i+1 < len(data); i += 2 {
			if le {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		return []byte(string(utf16.Decode(u))), nil
	case utf8.Valid(data):
		return data, nil
	default:
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, errors.New("the file is neither UTF-8 nor GB18030 text")
		}
		return out, nil
	}
}

// detectComma picks the separator the first line uses most: ',', tab or ';'.
func detectComma(text []byte) rune {
	line := text
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	best, n := ',', 0
	for _, c := range []rune{',', '\t', ';'} {
		m, quoted := 0, false
		for _, b := range line {
			if b == '"' {
				quoted = !quoted
			} else if !quoted && rune(b) == c {
				m++
			}
		}
		if m > n {
			best, n = c, m
		}
	}
	return best
}

// csvSource reads records; a record's row is its line less the line breaks
// inside quoted values of the records before it.
type csvSource struct {
	r     *csv.Reader
	extra int // line breaks inside quoted values so far
}

func (s *csvSource) next() (srcRow, bool, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return srcRow{}, false, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return srcRow{}, false, err
		}
		n := pe.StartLine - s.extra
		s.extra += pe.Line - pe.StartLine
		return srcRow{n: n, err: "CSV syntax: " + pe.Err.Error()}, true, nil
	}
	line, _ := s.r.FieldPos(0)
	n := line - s.extra
	for _, f := range rec {
		if strings.IndexByte(f, '\n') >= 0 {
			s.extra += strings.Count(f, "\n")
		}
	}
	return srcRow{n: n, cells: rec}, true, nil
}
