package results

import (
	"math/rand/v2"
	"testing"
)

// TestIDSetBytesPerMillion measures what the id sets add to results per
// million measured events, for the layouts runs produce (the figures are in
// docs/kubernetes.md): every event delivered, a share lost at random, and a
// million events spread over 3 shards. Run with -v to print them.
func TestIDSetBytesPerMillion(t *testing.T) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name   string
		stride int
		keep   func(seq uint64) bool
		limit  int // bytes of base64 per set, an upper bound the test holds
	}{
		{"all delivered", 1, func(uint64) bool { return true }, 400},
		{"0.1% lost at random", 1, func(uint64) bool { return rng.IntN(1000) != 0 }, 8_000},
		{"1% lost at random", 1, func(uint64) bool { return rng.IntN(100) != 0 }, 60_000},
		// The worst case: no runs, every other event lost, one bit per
		// event in the set's span (bitmap containers).
		{"half lost at random", 1, func(uint64) bool { return rng.IntN(2) != 0 }, 180_000},
		{"3 shards, all delivered", 3, func(uint64) bool { return true }, 500},
	} {
		t.Run(c.name, func(t *testing.T) {
			total := 0
			for shard := 0; shard < c.stride; shard++ {
				s := NewIDSet()
				for q := uint64(shard); q < n; q += uint64(c.stride) {
					if c.keep(q) {
						s.Add(IDKey(q, c.stride))
					}
				}
				enc, err := EncodeIDSet(s)
				if err != nil {
					t.Fatal(err)
				}
				back, err := DecodeIDSet(enc)
				if err != nil {
					t.Fatal(err)
				}
				if !back.Equals(s) {
					t.Fatal("decoded set differs")
				}
				total += len(enc)
			}
			t.Logf("%s: %d bytes of base64 per million events per subscriber", c.name, total)
			if total > c.limit {
				t.Errorf("%d bytes, want at most %d", total, c.limit)
			}
		})
	}
}

func TestIDKeyKeepsShardsContiguous(t *testing.T) {
	for q := uint64(0); q < 30; q++ {
		if k := IDKey(q, 1); k != q {
			t.Fatalf("stride 1: key(%d) = %d", q, k)
		}
	}
	// Shard 1 of 3's events 1, 4, 7 are keys 1<<40 | 0, 1, 2.
	for i, q := range []uint64{1, 4, 7} {
		if k := IDKey(q, 3); k != 1<<MaxSeqBits|uint64(i) {
			t.Fatalf("stride 3: key(%d) = %#x", q, k)
		}
	}
}

func TestDecodeIDSetRefusesCraftedHeaders(t *testing.T) {
	for _, in := range []string{"x", "AAAA", "/////////////wAAAAA=", "AQAAAAAAAAA="} {
		if _, err := DecodeIDSet(in); err == nil {
			t.Errorf("%q decoded", in)
		}
	}
}

func FuzzDecodeIDSet(f *testing.F) {
	f.Add("")
	s := NewIDSet()
	s.AddRange(5, 70000)
	s.Add(3 << MaxSeqBits)
	enc, _ := EncodeIDSet(s)
	f.Add(enc)
	f.Fuzz(func(t *testing.T, in string) {
		set, err := DecodeIDSet(in)
		if err != nil {
			return
		}
		if _, err := EncodeIDSet(set); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConsumerIDSetBytesPerMillion measures the delivered sets of `evbench
// consume` documents (docs/kubernetes.md): with k consume processes each
// processes the events of its partitions, a random 1/k of every shard's
// events, so each set has no runs and costs about one bit per event of
// its span (bitmap containers), k sets together k bits; the merge's union
// is dense again (TestIDSetBytesPerMillion's "3 shards, all delivered").
func TestConsumerIDSetBytesPerMillion(t *testing.T) {
	const n, stride = 1_000_000, 3
	for _, k := range []int{2, 4} {
		rng := rand.New(rand.NewPCG(3, uint64(k)))
		sets := make([]*IDSet, k)
		for i := range sets {
			sets[i] = NewIDSet()
		}
		for q := uint64(0); q < n; q++ {
			sets[rng.IntN(k)].Add(IDKey(q, stride))
		}
		total := 0
		for _, s := range sets {
			enc, err := EncodeIDSet(s)
			if err != nil {
				t.Fatal(err)
			}
			total += len(enc)
		}
		t.Logf("%d consume processes, %d shards: %d bytes of base64 per million events per subscriber, all documents together", k, stride, total)
		// k bitmap containers per 65536 keys: 8 KiB each, 4/3 in base64.
		if limit := k * 190_000; total > limit {
			t.Errorf("%d bytes, want at most %d", total, limit)
		}
	}
}
