package sharing_test

import (
	"math"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
	"github.com/google/go-cmp/cmp"
)

// TestPairwiseGame checks the representation on the additive game with
// pairwise synergies: listing singles and pairs values every coalition at
// its singles plus the synergies of the pairs inside it.
func TestPairwiseGame(t *testing.T) {
	g, err := sharing.NewGame(4, []sharing.Assessed{
		{Members: []int{0}, Value: 10},
		{Members: []int{1}, Value: 20},
		{Members: []int{2}, Value: 30},
		{Members: []int{3}, Value: 40},
		{Members: []int{1, 0}, Value: 35}, // synergy 5
		{Members: []int{2, 3}, Value: 77}, // synergy 7
		{Members: []int{0, 2, 1}, Value: 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	// {0,1,2}: 10+20+30+5 = 65 from below, so its dividend is 35.
	wantDiv := []sharing.Assessed{
		{Members: []int{0}, Value: 10},
		{Members: []int{1}, Value: 20},
		{Members: []int{2}, Value: 30},
		{Members: []int{3}, Value: 40},
		{Members: []int{0, 1}, Value: 5},
		{Members: []int{2, 3}, Value: 7},
		{Members: []int{0, 1, 2}, Value: 35},
	}
	if diff := cmp.Diff(wantDiv, g.Dividends()); diff != "" {
		t.Errorf("Dividends (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		members []int
		want    int64
	}{
		{nil, 0},
		{[]int{3}, 40},
		{[]int{0, 3}, 50},
		{[]int{3, 0, 1}, 75},
		{[]int{1, 2, 3}, 97},
		{[]int{0, 1, 2}, 100},
		{[]int{2, 1, 2, 0}, 100}, // a member listed twice counts once
		{[]int{0, 1, 2, 3}, 147},
	} {
		if got := g.Value(tc.members); got != tc.want {
			t.Errorf("Value(%v) = %d, want %d", tc.members, got, tc.want)
		}
	}
	if g.Grand() != 147 || g.Players() != 4 {
		t.Errorf("Grand() = %d, Players() = %d; want 147, 4", g.Grand(), g.Players())
	}
	// φ: singles, plus half of each pair's synergy, plus a third of 35.
	want := []string{"10+5/2+35/3", "20+5/2+35/3", "30+7/2+35/3", "40+7/2"}
	for i, phi := range g.ClosedForm() {
		sum := ratFrom("0")
		for _, part := range strings.Split(want[i], "+") {
			sum.Add(sum, ratFrom(part))
		}
		if phi.Cmp(sum) != 0 {
			t.Errorf("φ_%d = %s, want %s = %s", i, phi.RatString(), want[i], sum.RatString())
		}
	}
}

// TestLargeCoalitions exercises the scan for subsets of coalitions too
// large to look their subsets up, against a table listing every coalition.
func TestLargeCoalitions(t *testing.T) {
	n := 12
	as := []sharing.Assessed{
		{Members: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Value: 1000},
		{Members: []int{1}, Value: 7},
		{Members: []int{1, 5}, Value: 20},
		{Members: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Value: 300},
		{Members: []int{3, 4, 5, 6, 7, 8, 9, 10, 11}, Value: 200},
		{Members: []int{9, 4}, Value: -3},
	}
	g, err := sharing.NewGame(n, as)
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range as {
		if got := g.Value(a.Members); got != a.Value {
			t.Errorf("coalition %d: Value = %d, assessed %d", k, got, a.Value)
		}
	}
	// {0..9} ⊋ {1}, {1,5}, {4,9}: d = 300 − (7 + 13 − 3) = 283.
	if d := g.Dividends()[3].Value; d != 283 {
		t.Errorf("dividend of {0..9} = %d, want 283", d)
	}
}

// TestOverflowGuard checks that NewGame refuses values and dividends that
// could overflow, and that a game just inside the guard computes exactly.
func TestOverflowGuard(t *testing.T) {
	const lim = int64(1) << 62
	ok := []sharing.Assessed{
		{Members: []int{0}, Value: lim/2 - 1},
		{Members: []int{1}, Value: -(lim/2 - 1)},
		{Members: []int{0, 1}, Value: 0},
	}
	g, err := sharing.NewGame(2, ok)
	if err != nil {
		t.Fatalf("a game just inside the guard: %v", err)
	}
	if v := g.Value([]int{0}); v != lim/2-1 {
		t.Errorf("Value({0}) = %d", v)
	}
	sh, err := sharing.ShapleyExact(g)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2305843009213693951", "-2305843009213693951"}, ratStrs(sh.Values)); diff != "" {
		t.Errorf("φ (-want +got):\n%s", diff)
	}
	s, err := sharing.ShapleySampled(g, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ratStrs(sh.Values), ratStrs(s.Values)); diff != "" {
		t.Errorf("sampled φ of a pair game (-exact +sampled):\n%s", diff)
	}
	// One dividend just below 2^62: a single counts twice in a pair's sum
	// (2^63 − 2), and the sums over pairs need more than 64 bits.
	big1, err := sharing.NewGame(3, []sharing.Assessed{{Members: []int{0}, Value: lim - 1}, {Members: []int{1, 2}, Value: 0}})
	if err != nil {
		t.Fatal(err)
	}
	s, err = sharing.ShapleySampled(big1, 1, 6)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"4611686018427387903", "0", "0"}, ratStrs(s.Values)); diff != "" {
		t.Errorf("sampled φ with a dividend near 2^62 (-want +got):\n%s", diff)
	}
}

// TestNewGameErrors checks each refusal names the coalition and the fault.
func TestNewGameErrors(t *testing.T) {
	const lim = int64(1) << 62
	for _, tc := range []struct {
		name string
		n    int
		as   []sharing.Assessed
		want string
	}{
		{"no players", 0, nil, "at least one player, got n = 0"},
		{"too many players", sharing.MaxPlayers + 1, nil, "n = 10001 players; a game has at most 10000"},
		{"empty coalition", 3, []sharing.Assessed{{Members: []int{0}, Value: 1}, {Members: nil, Value: 1}}, "coalition 1 {}: a coalition needs at least one member"},
		{"out of range", 3, []sharing.Assessed{{Members: []int{0, 3}, Value: 1}}, "coalition 0 {0,3}: player 3 is out of range 0..2"},
		{"negative index", 3, []sharing.Assessed{{Members: []int{-1}, Value: 1}}, "coalition 0 {-1}: player -1 is out of range 0..2"},
		{"duplicate member", 3, []sharing.Assessed{{Members: []int{0}}, {Members: []int{1}}, {Members: []int{2}}, {Members: []int{0, 2, 2}}}, "coalition 3 {0,2,2}: player 2 is listed twice"},
		{"listed twice", 3, []sharing.Assessed{{Members: []int{0, 2}, Value: 1}, {Members: []int{2, 0}, Value: 2}}, "coalition 1 {2,0}: the same coalition as coalition 0 {0,2}"},
		{"value too large", 2, []sharing.Assessed{{Members: []int{1}, Value: lim}}, "coalition 0 {1}: value 4611686018427387904 is too large"},
		{"value too negative", 2, []sharing.Assessed{{Members: []int{1}, Value: math.MinInt64}}, "coalition 0 {1}: value -9223372036854775808 is too large"},
		{"dividend too large", 2, []sharing.Assessed{{Members: []int{0}, Value: -(lim - 1)}, {Members: []int{0, 1}, Value: lim - 1}}, "coalition 1 {0,1}: dividend 9223372036854775806 brings the dividends' total magnitude to 2^62 or more"},
		{"dividends too large together", 2, []sharing.Assessed{{Members: []int{0, 1}, Value: 0}, {Members: []int{0}, Value: lim / 2}, {Members: []int{1}, Value: lim / 2}}, "coalition 2 {1}: dividend 2305843009213693952 brings the dividends' total magnitude to 2^62"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sharing.NewGame(tc.n, tc.as)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestValuePanics: a member out of range is a caller's bug, like a bad
// slice index.
func TestValuePanics(t *testing.T) {
	g, err := sharing.NewGame(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "player 2 is out of range 0..1") {
			t.Errorf("recovered %v", r)
		}
	}()
	g.Value([]int{2})
}

// TestTableErrors checks the refusals of Table and ShapleyTable.
func TestTableErrors(t *testing.T) {
	g, err := sharing.NewGame(sharing.MaxExact+1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Table(); err == nil || !strings.Contains(err.Error(), "the game has 21 players; a table holds at most 20") {
		t.Errorf("Table: %v", err)
	}
	if _, err := sharing.ShapleyExact(g); err == nil || !strings.Contains(err.Error(), "21 players") {
		t.Errorf("ShapleyExact: %v", err)
	}
	for _, tc := range []struct {
		n    int
		v    []int64
		want string
	}{
		{0, []int64{0}, "n = 0 players: the exact Shapley value takes 1 to 20"},
		{21, nil, "n = 21 players"},
		{3, make([]int64, 5), "the table has 5 values; 3 players need 8"},
		{1, []int64{5, 1}, "v(∅) = 5; the empty coalition must be worth 0"},
	} {
		if _, err := sharing.ShapleyTable(tc.n, tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ShapleyTable(%d, %d values): got %v, want %q", tc.n, len(tc.v), err, tc.want)
		}
	}
}
