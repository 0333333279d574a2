package importer

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// ParseXLSX reads a workbook: each sheet whose name names a kind (see
// KindOfFileName and the package documentation for the aliases: 成员单位,
// 协议条款, 项目, 投入, 知识产权, 经费, 成本...). A README sheet (说明,
// 填表说明) is skipped; any other sheet is an error naming it. Sheets are
// parsed in Kinds order, several sheets of one kind in workbook order.
//
// Cells are read raw, as the workbook stores them, not as their number
// format displays them: a date cell is its serial number (converted
// exactly, in the workbook's 1900 or 1904 date system), an amount is the
// number, never rounded by a display format. Numbers are rounded to the 15
// significant digits Excel shows, so 1234.5600000000002 left by a formula
// is 1234.56. Merged cells: a title merged above the header is skipped, a
// header two rows high (merged group headers) is read as one, and a cell
// merged down several data rows gives each row its value (except amounts,
// which are an error: a merged amount is a total the rows must split).
//
// The sheets are read with excelize's streaming row iterator, so a large
// sheet is not loaded as a whole.
func ParseXLSX(r io.Reader, opts Options) (*File, error) {
	pc, err := newParseCtx(opts)
	if err != nil {
		return nil, err
	}
	pc.xlsx = true
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("importer: read workbook: %w", err)
	}
	sum := sha256.Sum256(data)
	f := &File{Digest: hex.EncodeToString(sum[:])}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: 4 << 30, UnzipXMLSizeLimit: 256 << 20})
	if err != nil {
		return nil, fmt.Errorf("importer: not an XLSX workbook: %w", err)
	}
	defer x.Close()
	if props, err := x.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		pc.date1904 = *props.Date1904
	}
	merges := newMergeReader(data, x)
	byKind := map[string][]string{}
	for _, name := range x.GetSheetList() {
		if readmeNames[norm(name)] {
			continue
		}
		kind, ok := kindOfName(name)
		if !ok {
			f.Errors = append(f.Errors, RowError{Sheet: name, Reason: "unknown sheet: name each sheet after what it holds: " + sheetNameList()})
			continue
		}
		byKind[kind] = append(byKind[kind], name)
	}
	for _, kind := range Kinds {
		for i, name := range byKind[kind] {
			if kind == "agreement" && i > 0 {
				f.Errors = append(f.Errors, RowError{Sheet: name, Reason: fmt.Sprintf("a workbook holds one agreement; %q is already the agreement sheet", byKind[kind][0])})
				continue
			}
			rows, err := x.Rows(name)
			if err != nil {
				return nil, fmt.Errorf("importer: sheet %q: %w", name, err)
			}
			src := newPrefetch(&xlsxSource{rows: rows, merges: merges.ranges(name)})
			p := &sheetParser{f: f, pc: pc, sheet: name, k: kinds[kind]}
			err = p.run(src)
			src.stop()
			if cerr := rows.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("importer: sheet %q: %w", name, err)
			}
		}
	}
	return f, nil
}

func sheetNameList() string {
	var b strings.Builder
	for i, k := range Kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + " (" + kinds[k].zh + ")")
	}
	return b.String()
}

var rawOpts = excelize.Options{RawCellValue: true}

// xlsxSource reads a sheet's rows with the streaming iterator. Next steps
// through every row number, gaps included, so the count is the row.
type xlsxSource struct {
	rows   *excelize.Rows
	n      int
	merges []mergeRange // vertical merged ranges, by top row
	upto   int          // first range not yet reached
	active []activeMerge
}

type activeMerge struct {
	mergeRange
	value string
}

func (s *xlsxSource) next() (srcRow, bool, error) {
	if !s.rows.Next() {
		return srcRow{}, false, s.rows.Error()
	}
	s.n++
	cells, err := s.rows.Columns(rawOpts)
	if err != nil {
		return srcRow{}, false, fmt.Errorf("row %d: %w", s.n, err)
	}
	row := srcRow{n: s.n, cells: cells}
	if len(s.merges) == 0 {
		return row, true, nil
	}
	keep := s.active[:0]
	for _, a := range s.active {
		if a.r2 >= s.n {
			keep = append(keep, a)
			row.merged = append(row.merged, mergedCell{col: a.c1 - 1, ref: a.ref, value: a.value})
		}
	}
	s.active = keep
	for s.upto < len(s.merges) && s.merges[s.upto].r1 <= s.n {
		m := s.merges[s.upto]
		s.upto++
		if m.r1 == s.n {
			s.active = append(s.active, activeMerge{mergeRange: m, value: cellAt(cells, m.c1-1)})
		}
	}
	return row, true, nil
}

// Merged cells. excelize's GetMergeCells loads the whole worksheet, which
// the streaming reader avoids; the ranges are read from the worksheet XML
// directly, after the sheet data.

type mergeRange struct {
	c1, r1, c2, r2 int
	ref            string
}

type mergeReader struct {
	zr    *zip.Reader
	x     *excelize.File
	paths map[string]string // sheet name → part name
}

func newMergeReader(data []byte, x *excelize.File) *mergeReader {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return &mergeReader{}
	}
	m := &mergeReader{zr: zr, x: x, paths: map[string]string{}}
	wb := "xl/workbook.xml"
	if rels := readRels(zr, "_rels/.rels", ""); rels != nil {
		for _, t := range rels {
			if strings.HasSuffix(t, "workbook.xml") {
				wb = t
			}
		}
	}
	rels := readRels(zr, path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels"), path.Dir(wb))
	b := readPart(zr, wb)
	if b == nil {
		return m
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "sheet" {
			continue
		}
		var name, id string
		for _, a := range se.Attr {
			switch {
			case a.Name.Local == "name" && a.Name.Space == "":
				name = a.Value
			case a.Name.Local == "id" && a.Name.Space != "":
				id = a.Value
			}
		}
		if t, ok := rels[id]; ok {
			m.paths[name] = t
		}
	}
	return m
}

// readRels reads a relationships part: Id → target part name.
func readRels(zr *zip.Reader, name, dir string) map[string]string {
	b := readPart(zr, name)
	if b == nil {
		return nil
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if xml.Unmarshal(b, &rels) != nil {
		return nil
	}
	out := map[string]string{}
	for _, r := range rels.Rel {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		out[r.ID] = t
	}
	return out
}

func readPart(zr *zip.Reader, name string) []byte {
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			rc, err := f.Open()
			if err != nil {
				return nil
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, 4<<30))
			if err != nil {
				return nil
			}
			return b
		}
	}
	return nil
}

// mergeCells returns a worksheet's XML from its <mergeCells> element on,
// or nil. excelize holds the XML of all but very large sheets in memory;
// others are decompressed again, in chunks.
func (m *mergeReader) mergeCells(part string) []byte {
	marker := []byte("<mergeCells")
	if v, ok := m.x.Pkg.Load(part); ok {
		if b, ok := v.([]byte); ok {
			if i := bytes.LastIndex(b, marker); i >= 0 {
				return b[i:]
			}
			if !bytes.Contains(b, []byte("mergeCells")) {
				return nil
			}
		}
	}
	for _, f := range m.zr.File {
		if f.Name != part {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil
		}
		defer rc.Close()
		buf := make([]byte, 1<<20)
		var tail []byte
		for {
			n, err := io.ReadFull(rc, buf[len(tail):])
			chunk := buf[:len(tail)+n]
			if i := bytes.Index(chunk, []byte("mergeCells")); i >= 0 {
				start := max(i-8, 0)
				rest, _ := io.ReadAll(io.LimitReader(rc, 64<<20))
				return append(append([]byte(nil), chunk[start:]...), rest...)
			}
			if err != nil {
				return nil
			}
			tail = append(tail[:0], chunk[len(chunk)-16:]...)
			copy(buf, tail)
		}
	}
	return nil
}

var mergeCellRE = regexp.MustCompile(`<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+[0-9]+):([A-Za-z]+[0-9]+)"`)

// ranges returns a sheet's merged ranges that span several rows, by top row.
func (m *mergeReader) ranges(sheet string) []mergeRange {
	if m.zr == nil {
		return nil
	}
	p, ok := m.paths[sheet]
	if !ok {
		return nil
	}
	b := m.mergeCells(p)
	if b == nil {
		return nil
	}
	var out []mergeRange
	for _, sm := range mergeCellRE.FindAllSubmatch(b, -1) {
		c1, r1, err1 := excelize.CellNameToCoordinates(string(sm[1]))
		c2, r2, err2 := excelize.CellNameToCoordinates(string(sm[2]))
		if err1 != nil || err2 != nil || r2 <= r1 || c2 < c1 {
			continue
		}
		out = append(out, mergeRange{c1: c1, r1: r1, c2: c2, r2: r2, ref: string(sm[1]) + ":" + string(sm[2])})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].r1 < out[j].r1 })
	return out
}

// prefetch reads a sheet's rows on another goroutine, in batches, while
// the caller parses the rows before them: decoding the worksheet XML is
// most of the work of reading a workbook, and it overlaps the parsing.
type prefetch struct {
	ch   chan rowBatch
	done chan struct{}
	cur  []srcRow
	err  error
	end  bool
}

type rowBatch struct {
	rows []srcRow
	err  error
}

const prefetchBatch = 512

func newPrefetch(src rowSource) *prefetch {
	p := &prefetch{ch: make(chan rowBatch, 4), done: make(chan struct{})}
	go func() {
		defer close(p.ch)
		b := make([]srcRow, 0, prefetchBatch)
		send := func(rb rowBatch) bool {
			select {
			case p.ch <- rb:
				return true
			case <-p.done:
				return false
			}
		}
		for {
			r, ok, err := src.next()
			if err != nil || !ok {
				send(rowBatch{rows: b, err: err})
				return
			}
			b = append(b, r)
			if len(b) == prefetchBatch {
				if !send(rowBatch{rows: b}) {
					return
				}
				b = make([]srcRow, 0, prefetchBatch)
			}
		}
	}()
	return p
}

func (p *prefetch) next() (srcRow, bool, error) {
	for len(p.cur) == 0 {
		if p.end {
			return srcRow{}, false, p.err
		}
		b, ok := <-p.ch
		if !ok {
			p.end = true
			continue
		}
		p.cur = b.rows
		if b.err != nil {
			p.err, p.end = b.err, true
		}
	}
	r := p.cur[0]
	p.cur = p.cur[1:]
	return r, true, nil
}

// stop ends the reading goroutine and waits for it.
func (p *prefetch) stop() {
	close(p.done)
	for range p.ch {
	}
}
