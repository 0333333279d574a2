package sharing

import "math/bits"

// splitMix is SplitMix64 (Steele, Lea and Flood 2014; Vigna's reference
// code), written out here so that sampled values and benchmark games are
// bit-for-bit the same on every platform and Go release: nothing depends
// on a library generator's choices.
type splitMix struct{ s uint64 }

func (r *splitMix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method (Lemire 2019, "Fast random integer generation
// in an interval"): unbiased, and usually one draw.
func (r *splitMix) below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		thresh := -n % n // 2^64 mod n: the low words that would bias the result
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

// permute sets p to a uniform random permutation of 0..len(p)-1: the
// identity shuffled by Fisher–Yates, drawing from the last position down.
// Starting from the identity each time makes each permutation a function
// of the generator's draws alone.
func (r *splitMix) permute(p []int32) {
	for i := range p {
		p[i] = int32(i)
	}
	for i := len(p) - 1; i > 0; i-- {
		j := r.below(uint64(i + 1))
		p[i], p[j] = p[j], p[i]
	}
}
