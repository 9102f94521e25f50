package measure

import (
	"fmt"
	"testing"
)

func TestDeadLetteredSeqs(t *testing.T) {
	p := &Point{idBase: 1 << 41}
	s := newSubscriber("a", p, 1)
	for _, q := range []uint64{0, 63, 64, 1000, 5, 5} {
		s.DeadLetter(p.idBase + q)
	}
	var got []uint64
	s.DeadLetteredSeqs(func(q uint64) { got = append(got, q) })
	if fmt.Sprint(got) != "[0 5 63 64 1000]" {
		t.Fatalf("got %v", got)
	}
}
