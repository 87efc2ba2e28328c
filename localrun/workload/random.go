package workload

import "math/bits"

// The Mersenne Twister MT19937 as CPython's random module runs it (Modules/_randommodule.c):
// an integer seed is split into 32-bit words, least significant first, and fed to
// init_by_array; random() takes 27 and 26 bits of two outputs; getrandbits(k) keeps the top k
// bits of an output; randbelow draws bit_length(n) bits until the value falls below n.
// Sequences are identical to Python's for the same seed.

const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// pyRandom is one random.Random(seed) of CPython.
type pyRandom struct {
	mt  [mtN]uint32
	mti int
}

// newPyRandom is random.Random(seed) for an integer seed; Python seeds with abs(seed).
func newPyRandom(seed int64) *pyRandom {
	n := uint64(seed)
	if seed < 0 {
		n = -n
	}
	key := []uint32{uint32(n)}
	if hi := uint32(n >> 32); hi != 0 {
		key = append(key, hi)
	}
	r := &pyRandom{}
	r.initByArray(key)
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.mti = mtN
}

func (r *pyRandom) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := max(mtN, len(key))
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = mtN - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

// uint32 is genrand_uint32: the next 32-bit output.
func (r *pyRandom) uint32() uint32 {
	if r.mti >= mtN {
		mag := [2]uint32{0, mtMatrixA}
		var kk int
		for ; kk < mtN-mtM; kk++ {
			y := (r.mt[kk] & mtUpperMask) | (r.mt[kk+1] & mtLowerMask)
			r.mt[kk] = r.mt[kk+mtM] ^ (y >> 1) ^ mag[y&1]
		}
		for ; kk < mtN-1; kk++ {
			y := (r.mt[kk] & mtUpperMask) | (r.mt[kk+1] & mtLowerMask)
			r.mt[kk] = r.mt[kk+(mtM-mtN)] ^ (y >> 1) ^ mag[y&1]
		}
		y := (r.mt[mtN-1] & mtUpperMask) | (r.mt[0] & mtLowerMask)
		r.mt[mtN-1] = r.mt[mtM-1] ^ (y >> 1) ^ mag[y&1]
		r.mti = 0
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// random is random.random(): a float in [0, 1) with 53 random bits.
func (r *pyRandom) random() float64 {
	a, b := r.uint32()>>5, r.uint32()>>6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}

// getrandbits is random.getrandbits(k) for 0 <= k <= 64: 32-bit words, least significant
// first, the last one cut to the bits still wanted.
func (r *pyRandom) getrandbits(k int) uint64 {
	switch {
	case k <= 0:
		return 0
	case k <= 32:
		return uint64(r.uint32() >> (32 - k))
	default:
		lo := uint64(r.uint32())
		return lo | uint64(r.uint32()>>(64-k))<<32
	}
}

// randbelow is random._randbelow(n) for n > 0: rejection sampling on bit_length(n) bits.
func (r *pyRandom) randbelow(n uint64) uint64 {
	k := bits.Len64(n)
	v := r.getrandbits(k)
	for v >= n {
		v = r.getrandbits(k)
	}
	return v
}

// randrange is random.randrange(start, stop) for start < stop.
func (r *pyRandom) randrange(start, stop int) int {
	return start + int(r.randbelow(uint64(stop-start)))
}

// randint is random.randint(a, b): a <= n <= b.
func (r *pyRandom) randint(a, b int) int { return r.randrange(a, b+1) }

// uniform is random.uniform(a, b): a + (b-a) * random().
func (r *pyRandom) uniform(a, b float64) float64 { return a + (b-a)*r.random() }

// choice is random.choice(seq) for a non-empty seq.
func choice[T any](r *pyRandom, seq []T) T { return seq[r.randbelow(uint64(len(seq)))] }
