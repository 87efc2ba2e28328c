package workload

import "testing"

// The expected draws are CPython 3.11's: for each seed, random.Random(seed) then, in order,
// random(), getrandbits(1), getrandbits(20), getrandbits(32), getrandbits(33),
// getrandbits(64), _randbelow(1000000), randrange(200, 1000), randint(1, 9),
// uniform(0.5, 250.0) and choice("abcdefghijklmnopqrst").
func TestPyRandomDrawsWhatCPythonDraws(t *testing.T) {
	tests := []struct {
		seed      int64
		random    float64
		bits      [5]uint64
		below     uint64
		randrange int
		randint   int
		uniform   float64
		choice    string
	}{
		{0, 0.8444218515250481, [5]uint64{1, 933488, 1806341205, 173879092, 9431353882395063546}, 509532, 614, 5, 241.96609873258276, "l"},
		{1, 0.13436424411240122, [5]uint64{1, 841235, 3280387012, 271041745, 9139164268605729673}, 797926, 660, 8, 163.07244669432936, "g"},
		{42, 0.6394267984578837, [5]uint64{0, 777572, 1181241943, 1051802512, 13585496030504862185}, 107473, 892, 9, 22.19123874103933, "n"},
		{20260101, 0.044717192733188416, [5]uint64{0, 1003607, 27837429, 4741993612, 17381569944761649960}, 52568, 592, 1, 44.80348065397135, "q"},
		{-7, 0.32383276483316237, [5]uint64{0, 414002, 2795742288, 207388624, 9885278224986867748}, 98702, 574, 1, 227.471163754204, "g"},
		{1 << 32, 0.11299430095636409, [5]uint64{0, 980126, 71624475, 4392986381, 14861564313759884179}, 799364, 539, 9, 248.68390602788327, "a"},
		{1<<63 - 1, 0.3166448820870279, [5]uint64{1, 139130, 3451239204, 2108559838, 8795274642428743868}, 811029, 932, 5, 41.9295660370198, "l"},
	}
	letters := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"}
	for _, tt := range tests {
		r := newPyRandom(tt.seed)
		if got := r.random(); got != tt.random {
			t.Errorf("seed %d: random() = %v, want %v", tt.seed, got, tt.random)
		}
		for i, k := range []int{1, 20, 32, 33, 64} {
			if got := r.getrandbits(k); got != tt.bits[i] {
				t.Errorf("seed %d: getrandbits(%d) = %d, want %d", tt.seed, k, got, tt.bits[i])
			}
		}
		if got := r.randbelow(1_000_000); got != tt.below {
			t.Errorf("seed %d: _randbelow(1000000) = %d, want %d", tt.seed, got, tt.below)
		}
		if got := r.randrange(200, 1000); got != tt.randrange {
			t.Errorf("seed %d: randrange(200, 1000) = %d, want %d", tt.seed, got, tt.randrange)
		}
		if got := r.randint(1, 9); got != tt.randint {
			t.Errorf("seed %d: randint(1, 9) = %d, want %d", tt.seed, got, tt.randint)
		}
		if got := r.uniform(0.5, 250.0); got != tt.uniform {
			t.Errorf("seed %d: uniform(0.5, 250.0) = %v, want %v", tt.seed, got, tt.uniform)
		}
		if got := choice(r, letters); got != tt.choice {
			t.Errorf("seed %d: choice = %q, want %q", tt.seed, got, tt.choice)
		}
	}
}

func TestPyRandomGetrandbitsZeroDrawsNothing(t *testing.T) {
	a, b := newPyRandom(5), newPyRandom(5)
	if got := a.getrandbits(0); got != 0 {
		t.Fatalf("getrandbits(0) = %d, want 0", got)
	}
	if a.random() != b.random() {
		t.Fatal("getrandbits(0) advanced the generator")
	}
}
