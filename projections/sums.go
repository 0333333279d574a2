package projections

import "slices"

// Balances and risk shares for a whole-history query are read from sums
// the model keeps as it folds: the current sums, a checkpoint of them every
// checkpointEvery positions, and the list of positions that touched a money
// entry. As of position n, the sums are the checkpoint at or before n plus
// the changes of the touches after it, each the difference between the
// touched entry's share of the sums just before and at its touch. Queries
// for a business period scan the entries instead (sums.go's scan), and the
// tests hold both ways to the same result at every position.

// checkpointEvery is how many positions apart the model keeps checkpoints
// of its sums: a checkpoint costs about 200 bytes per balance cell, the
// touches replayed after one cost about 0.1 µs each.
var checkpointEvery uint64 = 1 << 16

// touch says that the event at Seq changed the money entry at index Entry.
type touch struct {
	Seq   uint64
	Entry int32
}

// sumCells are sums by cell.
type sumCells map[cellKey]*cellSums

func (c sumCells) get(k cellKey) *cellSums {
	s := c[k]
	if s == nil {
		s = &cellSums{}
		c[k] = s
	}
	return s
}

// checkpoint is the sums as of position Seq, as a list sorted by key.
type checkpoint struct {
	Seq   uint64
	Cells []keyedSums
}

type keyedSums struct {
	Key  cellKey
	Sums cellSums
}

func (c sumCells) freeze(seq uint64) checkpoint {
	cp := checkpoint{Seq: seq, Cells: make([]keyedSums, 0, len(c))}
	for k, s := range c {
		if *s != (cellSums{}) {
			cp.Cells = append(cp.Cells, keyedSums{k, *s})
		}
	}
	slices.SortFunc(cp.Cells, func(a, b keyedSums) int {
		if a.Key.member != b.Key.member {
			return int(a.Key.member - b.Key.member)
		}
		if a.Key.project != b.Key.project {
			return int(a.Key.project - b.Key.project)
		}
		return int(a.Key.currency - b.Key.currency)
	})
	return cp
}

func (cp *checkpoint) thaw() sumCells {
	c := make(sumCells, len(cp.Cells))
	for i := range cp.Cells {
		s := cp.Cells[i].Sums
		c[cp.Cells[i].Key] = &s
	}
	return c
}

// slotOf returns the kind slot (index in ledger.ContributionKinds) of an
// interned contribution kind.
func (m *Model) slotOf(kind int32) int {
	if int(kind) < len(m.kindSlot) {
		if s := m.kindSlot[kind]; s >= 0 {
			return int(s)
		}
	}
	return 0 // cannot happen: kinds are validated
}

// addEntry adds (sign +1) or removes (sign -1) the share of entry e in the
// sums as of position n: nothing before it is recorded or once reversed.
func (m *Model) addSums(c sumCells, e *entry, n uint64, sign int64) {
	if n < e.Seq || e.reversedAt(n) {
		return
	}
	v := e.at(n)
	switch e.Kind {
	case kindContribution:
		c.get(cellKey{v.Member, v.Project, v.Currency}).byKind[m.slotOf(v.Kind)][statusColumn(e.status(n))] += sign * v.Amount
	case kindFunding:
		c.get(cellKey{v.Member, v.Project, v.Currency}).funding += sign * v.Amount
	case kindCost:
		c.get(cellKey{v.Member, v.Project, v.Currency}).costs += sign * v.Amount
	case kindLoss:
		c.get(cellKey{0, v.Project, v.Currency}).losses += sign * v.Amount
	case kindPayout:
		settled := e.status(n) == stSettled
		for _, al := range v.Allocs {
			s := c.get(cellKey{al.Member, v.Project, v.Currency})
			s.payouts += sign * al.Amount
			if settled {
				s.settled += sign * al.Amount
			}
		}
	}
}

// applyTouch moves sums from just before position t.Seq to t.Seq.
func (m *Model) applyTouch(c sumCells, t touch) {
	e := m.entries.at(int(t.Entry))
	m.addSums(c, e, t.Seq-1, -1)
	m.addSums(c, e, t.Seq, +1)
}

// touched records that the event being folded at n changed entry e.
func (m *Model) touched(n uint64, e *entry) {
	idx, _ := m.entryIndex(e.Seq)
	m.touchedAt(n, idx)
}

// touchedAt records that the event being folded at n changed the entry at
// index idx.
func (m *Model) touchedAt(n uint64, idx int) {
	t := touch{Seq: n, Entry: int32(idx)}
	m.touches = append(m.touches, t)
	m.applyTouch(m.sums, t)
}

// advanced keeps a checkpoint of the sums at each multiple of
// checkpointEvery the model passed in moving from prev to its last
// position.
func (m *Model) advanced(prev uint64) {
	for p := (prev/checkpointEvery + 1) * checkpointEvery; p <= m.last; p += checkpointEvery {
		m.checkpoints = append(m.checkpoints, m.sums.freeze(p))
	}
}

// rebuildSums recomputes the touches, the current sums and the checkpoints
// from the entries' histories (after a snapshot is restored).
func (m *Model) rebuildSums() {
	// Each position touches at most one entry (a correction adds a
	// version and a mark at the same position: one touch), so the touches
	// in position order come from one pass over a table by position.
	at := make([]int32, m.last+1) // entry index + 1 touched at each position
	mark := func(seq uint64, i int) {
		if seq <= m.last {
			at[seq] = int32(i) + 1
		}
	}
	for i := range m.entries.len() {
		e := m.entries.at(i)
		mark(e.Seq, i)
		for _, v := range e.More {
			mark(v.At, i)
		}
		for _, mk := range e.Marks {
			mark(mk.At, i)
		}
		if e.Reversed != 0 {
			mark(e.Reversed, i)
		}
	}
	m.touches = m.touches[:0]
	for seq, i := range at {
		if i != 0 {
			m.touches = append(m.touches, touch{uint64(seq), i - 1})
		}
	}
	m.sums = sumCells{}
	m.checkpoints = nil
	next := uint64(checkpointEvery)
	for _, t := range m.touches {
		for ; next < t.Seq; next += checkpointEvery {
			m.checkpoints = append(m.checkpoints, m.sums.freeze(next))
		}
		m.applyTouch(m.sums, t)
	}
	for ; next <= m.last; next += checkpointEvery {
		m.checkpoints = append(m.checkpoints, m.sums.freeze(next))
	}
}

// sumsAt returns the whole-history sums as of position n: the current sums
// themselves at the last position (the caller must not modify them), or
// the nearest checkpoint (or the current sums) moved to n by the touches
// between them: forward from a checkpoint before n, backward from one
// after it.
func (m *Model) sumsAt(n uint64) sumCells {
	if n == m.last {
		return m.sums
	}
	search := func(seq uint64) int {
		i, _ := slices.BinarySearchFunc(m.touches, seq, func(t touch, s uint64) int { return cmpUint(t.Seq, s) })
		return i
	}
	// Before: the checkpoint at or before n (or nothing, at 0).
	var before *checkpoint
	if i := int(n / checkpointEvery); i > 0 && i <= len(m.checkpoints) {
		before = &m.checkpoints[i-1]
	}
	from := uint64(0)
	if before != nil {
		from = before.Seq
	}
	lo, hi := search(from+1), search(n+1) // touches in (from, n]
	// After: the next checkpoint, or the current sums.
	var after *checkpoint
	if i := int(n/checkpointEvery) + 1; i <= len(m.checkpoints) {
		after = &m.checkpoints[i-1]
	}
	to := m.last
	if after != nil {
		to = after.Seq
	}
	end := search(to + 1) // touches in (n, to] are touches[hi:end]
	if end-hi < hi-lo {
		var c sumCells
		if after != nil {
			c = after.thaw()
		} else {
			c = m.sums.clone()
		}
		for i := end - 1; i >= hi; i-- {
			m.unapplyTouch(c, m.touches[i])
		}
		return c
	}
	c := sumCells{}
	if before != nil {
		c = before.thaw()
	}
	for _, t := range m.touches[lo:hi] {
		m.applyTouch(c, t)
	}
	return c
}

func (c sumCells) clone() sumCells {
	out := make(sumCells, len(c))
	for k, s := range c {
		x := *s
		out[k] = &x
	}
	return out
}

// unapplyTouch moves sums from position t.Seq back to just before it.
func (m *Model) unapplyTouch(c sumCells, t touch) {
	e := m.entries.at(int(t.Entry))
	m.addSums(c, e, t.Seq, -1)
	m.addSums(c, e, t.Seq-1, +1)
}

// riskFrom returns, per project and member, the confirmed contributions by
// kind slot: the at-risk investment of the contribution rule. Every
// contribution to a project was recorded while it was open (the fold
// refuses others), so all of them count.
func riskFrom(c sumCells) map[int32]map[int32]*[6]int64 {
	risk := map[int32]map[int32]*[6]int64{}
	for k, s := range c {
		if k.project == 0 || k.member == 0 {
			continue
		}
		var conf [6]int64
		any := false
		for slot := range s.byKind {
			conf[slot] = s.byKind[slot][0]
			any = any || conf[slot] != 0
		}
		if !any {
			continue
		}
		byMember := risk[k.project]
		if byMember == nil {
			byMember = map[int32]*[6]int64{}
			risk[k.project] = byMember
		}
		r := byMember[k.member]
		if r == nil {
			r = new([6]int64)
			byMember[k.member] = r
		}
		for slot := range conf {
			r[slot] += conf[slot]
		}
	}
	return risk
}
