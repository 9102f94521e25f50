package webhook

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestVerifierStreamed: a body written to a Verifier in any split verifies
// exactly as VerifyBytes does, on the specification's published vector.
func TestVerifierStreamed(t *testing.T) {
	s, err := ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(vecTS, 0)
	ts := []byte(strconv.FormatInt(vecTS, 10))
	cases := []struct {
		name string
		body string
		sigs string
		want error
	}{
		{"published", vecBody, vecSig, nil},
		{"published among others", vecBody, "v1a,AAAA v1,Zm9v " + vecSig, nil},
		{"other body", vecBody + " ", vecSig, ErrNoMatchingSignature},
		{"empty body", "", vecSig, ErrNoMatchingSignature},
	}
	for _, c := range cases {
		for split := 0; split <= len(c.body); split++ {
			v, err := s.NewVerifier([]byte(vecID), ts, []byte(c.sigs), now, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = v.Write([]byte(c.body[:split]))
			_, _ = v.Write([]byte(c.body[split:]))
			if got := v.Check(); !errors.Is(got, c.want) {
				t.Fatalf("%s split at %d: %v, want %v", c.name, split, got, c.want)
			}
		}
		if got := s.VerifyBytes([]byte(vecID), ts, []byte(c.sigs), []byte(c.body), now, 0); !errors.Is(got, c.want) {
			t.Fatalf("%s: VerifyBytes %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := s.NewVerifier([]byte(vecID), ts, []byte(vecSig), now.Add(time.Hour), 0); !errors.Is(err, ErrTimestampTooOld) {
		t.Fatalf("stale timestamp: %v, want ErrTimestampTooOld before any body is read", err)
	}
}
