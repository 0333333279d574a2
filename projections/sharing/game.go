package sharing

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// MaxExact is the most players for which the Shapley value is computed
// exactly from the full table: 2^20 coalitions is 8 MiB of values and a
// few tens of milliseconds; each player more doubles both.
const MaxExact = 20

// MaxPlayers is the most players a Game may have. It is far beyond any
// alliance and bounds the memory and time of one sampled permutation; it
// also lets NewGame key coalitions by 16-bit player indices.
const MaxPlayers = 10000

// limit is the magnitude no value, dividend or sum of dividends may reach.
// Keeping the total magnitude of all dividends below 2^62 makes every
// coalition's value, and the sum of any two of them, fit in an int64, so
// nothing computed from a Game can overflow.
const limit = 1 << 62

// Assessed is a coalition with its assessed value.
type Assessed struct {
	Members []int // distinct player indices, any order
	Value   int64 // v(S), minor units
}

// Game is a cooperative game built from assessed coalition values. A listed
// coalition is worth its assessed value; an unlisted coalition is worth the
// sum of the Harsanyi dividends of the listed coalitions it contains, with
// d(T) = v(T) − Σ_{listed U ⊊ T} d(U). So listing the singles and pairs
// gives the additive game with pairwise synergies; listing every coalition
// gives exactly that table; the empty coalition is worth 0.
//
// A Game is immutable and safe for concurrent use.
type Game struct {
	n     int
	terms []term // in listed order
	grand int64
}

// term is a listed coalition with its dividend.
type term struct {
	members []int32 // sorted ascending
	div     int64
}

// NewGame builds the game of n players from the assessed coalitions. It
// fails, naming the coalition by its position in the list (from 0), if n
// is out of 1..MaxPlayers, a member is out of range or listed twice, a
// coalition is empty or listed twice, or a value, dividend or the sum of
// the dividends' magnitudes reaches 2^62 (the overflow guard: below it no
// value computed from the game can overflow).
//
// Dividends are computed smallest coalitions first; for each coalition the
// listed strict subsets are found by looking up its subsets when it is
// small and by scanning the smaller listed coalitions otherwise.
func NewGame(n int, assessed []Assessed) (*Game, error) {
	if n < 1 {
		return nil, fmt.Errorf("a game needs at least one player, got n = %d", n)
	}
	if n > MaxPlayers {
		return nil, fmt.Errorf("n = %d players; a game has at most %d", n, MaxPlayers)
	}
	g := &Game{n: n, terms: make([]term, len(assessed))}
	index := make(map[string]int, len(assessed)) // key of sorted members -> position
	seen := make([]int, n)                       // seen[p] == k+1: p is in coalition k
	for k, a := range assessed {
		name := func() string { return "coalition " + strconv.Itoa(k) + " " + setString(a.Members) }
		if len(a.Members) == 0 {
			return nil, fmt.Errorf("%s: a coalition needs at least one member (the empty one is worth 0)", name())
		}
		if a.Value >= limit || a.Value <= -limit {
			return nil, fmt.Errorf("%s: value %d is too large: its magnitude must stay below 2^62", name(), a.Value)
		}
		ms := make([]int32, len(a.Members))
		for j, p := range a.Members {
			if p < 0 || p >= n {
				return nil, fmt.Errorf("%s: player %d is out of range 0..%d", name(), p, n-1)
			}
			if seen[p] == k+1 {
				return nil, fmt.Errorf("%s: player %d is listed twice", name(), p)
			}
			seen[p] = k + 1
			ms[j] = int32(p)
		}
		slices.Sort(ms)
		key := coalitionKey(ms)
		if prev, ok := index[key]; ok {
			return nil, fmt.Errorf("%s: the same coalition as coalition %d %s", name(), prev, setString(assessed[prev].Members))
		}
		index[key] = k
		g.terms[k] = term{members: ms}
	}

	// Smallest first, so that every strict subset has its dividend when a
	// coalition's own is computed; listed order among equals.
	order := make([]int, len(assessed))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(g.terms[a].members) - len(g.terms[b].members) })
	var total int64 // Σ|d| so far, < limit
	mark := make([]bool, n)
	var key []byte
	smaller := 0 // order[:smaller] are the coalitions smaller than the current one
	for _, k := range order {
		t := &g.terms[k]
		size := len(t.members)
		for len(g.terms[order[smaller]].members) < size {
			smaller++
		}
		var sub int64 // Σ d(U) over listed U ⊊ T; |sub| ≤ total < 2^62
		if size < 31 && 1<<size <= smaller {
			// Look up each nonempty strict subset.
			for bitsOf := 1; bitsOf < 1<<size-1; bitsOf++ {
				key = key[:0]
				for j, p := range t.members {
					if bitsOf&(1<<j) != 0 {
						key = append(key, byte(p>>8), byte(p))
					}
				}
				if u, ok := index[string(key)]; ok {
					sub += g.terms[u].div
				}
			}
		} else {
			// Scan the smaller coalitions for subsets.
			for _, p := range t.members {
				mark[p] = true
			}
			for _, u := range order[:smaller] {
				if allMarked(mark, g.terms[u].members) {
					sub += g.terms[u].div
				}
			}
			for _, p := range t.members {
				mark[p] = false
			}
		}
		d := assessed[k].Value - sub // both below 2^62 in magnitude: no overflow
		if d >= limit || d <= -limit || total+abs64(d) >= limit {
			return nil, fmt.Errorf("coalition %d %s: dividend %d brings the dividends' total magnitude to 2^62 or more; values this large could overflow",
				k, setString(assessed[k].Members), d)
		}
		total += abs64(d)
		t.div = d
		g.grand += d
	}
	return g, nil
}

func allMarked(mark []bool, ms []int32) bool {
	for _, p := range ms {
		if !mark[p] {
			return false
		}
	}
	return true
}

// coalitionKey keys sorted members as two bytes each (MaxPlayers < 2^16).
func coalitionKey(ms []int32) string {
	b := make([]byte, 0, 2*len(ms))
	for _, p := range ms {
		b = append(b, byte(p>>8), byte(p))
	}
	return string(b)
}

// setString writes members as {0,2,5}, in the order given.
func setString[T int | int32](ms []T) string {
	var b strings.Builder
	b.WriteByte('{')
	for j, p := range ms {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(p)))
	}
	b.WriteByte('}')
	return b.String()
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Players returns the number of players n.
func (g *Game) Players() int { return g.n }

// Value returns v(S) for the coalition of the given members: the sum of the
// dividends of the listed coalitions it contains. A member listed twice
// counts once; a member out of range 0..n-1 panics, like a slice index.
// It cannot overflow: NewGame keeps the dividends' total magnitude below
// 2^62. The cost is one pass over the listed coalitions' members.
func (g *Game) Value(members []int) int64 {
	in := make([]bool, g.n)
	for _, p := range members {
		if p < 0 || p >= g.n {
			panic(fmt.Sprintf("sharing: Value: player %d is out of range 0..%d", p, g.n-1))
		}
		in[p] = true
	}
	var v int64
	for _, t := range g.terms {
		if allMarked(in, t.members) {
			v += t.div
		}
	}
	return v
}

// Grand returns v(N), the worth of all players together.
func (g *Game) Grand() int64 { return g.grand }

// Dividends returns the listed coalitions, members sorted ascending, each
// with its Harsanyi dividend d(T) as Value, in listed order. An
// explanation shows them as the synergy each coalition adds.
func (g *Game) Dividends() []Assessed {
	out := make([]Assessed, len(g.terms))
	for k, t := range g.terms {
		ms := make([]int, len(t.members))
		for j, p := range t.members {
			ms[j] = int(p)
		}
		out[k] = Assessed{Members: ms, Value: t.div}
	}
	return out
}

// ClosedForm returns the Shapley value as φ_i = Σ_{T∋i} d(T)/|T|, each
// dividend split equally among its coalition's members (Harsanyi 1963).
// It is exact for any number of players and costs one pass over the
// listed coalitions' members; it checks the sampler and the benchmark.
func (g *Game) ClosedForm() []*big.Rat {
	// Sum the dividends per player and coalition size, then divide once per
	// size: a per-player integer sum of distinct dividends stays below 2^62.
	bySize := make(map[int][]int, 4) // size -> terms of that size
	for k, t := range g.terms {
		bySize[len(t.members)] = append(bySize[len(t.members)], k)
	}
	sizes := make([]int, 0, len(bySize))
	for s := range bySize {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	phi := make([]*big.Rat, g.n)
	for i := range phi {
		phi[i] = new(big.Rat)
	}
	sum := make([]int64, g.n)
	touched := make([]bool, g.n)
	var q big.Rat
	for _, s := range sizes {
		var list []int32
		for _, k := range bySize[s] {
			for _, p := range g.terms[k].members {
				if !touched[p] {
					touched[p] = true
					list = append(list, p)
				}
				sum[p] += g.terms[k].div
			}
		}
		for _, p := range list {
			q.SetFrac64(sum[p], int64(s))
			phi[p].Add(phi[p], &q)
			sum[p], touched[p] = 0, false
		}
	}
	return phi
}

// Table returns v for every coalition as a bitmask (bit i is player i),
// 2^n values, for n ≤ MaxExact. It places each dividend at its coalition
// and sums over subsets (the zeta transform), n·2^(n−1) additions. Every
// entry at every step is a sum of distinct dividends, below 2^62 in
// magnitude by NewGame's guard, so no addition can overflow.
func (g *Game) Table() ([]int64, error) {
	if g.n > MaxExact {
		return nil, fmt.Errorf("the game has %d players; a table holds at most %d", g.n, MaxExact)
	}
	v := make([]int64, 1<<g.n)
	for _, t := range g.terms {
		var m int
		for _, p := range t.members {
			m |= 1 << p
		}
		v[m] += t.div // coalitions are distinct: each mask is set once
	}
	for i := range g.n {
		bit := 1 << i
		for m := bit; m < len(v); m = (m + 1) | bit {
			v[m] += v[m^bit]
		}
	}
	return v, nil
}
