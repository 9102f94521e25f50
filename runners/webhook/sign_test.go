package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The example vector published with the Standard Webhooks specification
// (standard-webhooks repository, reference library tests). Verified
// independently with Python's hmac module while writing this test.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = int64(1614265330)
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignPublishedVector(t *testing.T) {
	s, err := ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sign(vecID, vecTS, []byte(vecBody)); got != vecSig {
		t.Fatalf("Sign = %q, want the published %q", got, vecSig)
	}
	if got := string(s.AppendSignature([]byte("x"), []byte(vecID), vecTS, []byte(vecBody))); got != "x"+vecSig {
		t.Fatalf("AppendSignature = %q, want prefix kept and %q appended", got, vecSig)
	}
	// The prefix is optional, as in the reference libraries.
	s2, err := ParseSecret(strings.TrimPrefix(vecSecret, SecretPrefix))
	if err != nil || s2.Sign(vecID, vecTS, []byte(vecBody)) != vecSig {
		t.Fatalf("secret without prefix: %v", err)
	}
	if s.Encode() != vecSecret {
		t.Fatalf("Encode = %q, want %q", s.Encode(), vecSecret)
	}
	if strings.Contains(s.String(), "MfKQ") {
		t.Fatalf("String leaks the key: %q", s.String())
	}
}

func TestVerify(t *testing.T) {
	s, err := ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSecret()
	at := time.Unix(vecTS, 0)
	ts := "1614265330"
	forged := other.Sign(vecID, vecTS, []byte(vecBody))
	cases := []struct {
		name      string
		id, ts    string
		sig, body string
		now       time.Time
		want      error
	}{
		{"published vector", vecID, ts, vecSig, vecBody, at, nil},
		{"within tolerance after", vecID, ts, vecSig, vecBody, at.Add(4 * time.Minute), nil},
		{"within tolerance before", vecID, ts, vecSig, vecBody, at.Add(-4 * time.Minute), nil},
		{"one of several signatures", vecID, ts, "v1,bm90LWl0 " + vecSig + " v2,abc", vecBody, at, nil},
		{"unknown version with right bytes ignored", vecID, ts, "v2," + strings.TrimPrefix(vecSig, "v1,"), vecBody, at, ErrNoMatchingSignature},
		{"forged with another secret", vecID, ts, forged, vecBody, at, ErrNoMatchingSignature},
		{"tampered body", vecID, ts, vecSig, `{"test": 2432232315}`, at, ErrNoMatchingSignature},
		{"other id", "msg_other", ts, vecSig, vecBody, at, ErrNoMatchingSignature},
		{"other timestamp", vecID, "1614265331", vecSig, vecBody, at, ErrNoMatchingSignature},
		{"too old", vecID, ts, vecSig, vecBody, at.Add(6 * time.Minute), ErrTimestampTooOld},
		{"too new", vecID, ts, vecSig, vecBody, at.Add(-6 * time.Minute), ErrTimestampTooNew},
		{"bad timestamp", vecID, "16142653x0", vecSig, vecBody, at, ErrInvalidTimestamp},
		{"no signature", vecID, ts, "", vecBody, at, ErrMissingHeaders},
		{"no id", "", ts, vecSig, vecBody, at, ErrMissingHeaders},
		{"no timestamp", vecID, "", vecSig, vecBody, at, ErrMissingHeaders},
		{"garbage signature", vecID, ts, "v1", vecBody, at, ErrNoMatchingSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Verify(c.id, c.ts, c.sig, []byte(c.body), c.now, 0)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseSecretErrors(t *testing.T) {
	for _, in := range []string{"", "whsec_", "whsec_not base64!"} {
		if _, err := ParseSecret(in); err == nil {
			t.Errorf("ParseSecret(%q) succeeded, want an error", in)
		}
	}
	a, _ := NewSecret()
	b, _ := NewSecret()
	if a.Encode() == b.Encode() {
		t.Fatal("two generated secrets are equal")
	}
	back, err := ParseSecret(a.Encode())
	if err != nil || back.Encode() != a.Encode() {
		t.Fatalf("round trip: %v", err)
	}
}

func TestSignVerifyNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	s, _ := ParseSecret(vecSecret)
	id, body := []byte(vecID), []byte(vecBody)
	buf := make([]byte, 0, 64)
	now := time.Unix(vecTS, 0)
	sig := []byte(vecSig)
	ts := []byte("1614265330")
	allocs := testing.AllocsPerRun(1000, func() {
		buf = s.AppendSignature(buf[:0], id, vecTS, body)
		if err := s.VerifyBytes(id, ts, sig, body, now, 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("sign+verify allocates %.1f times per call, want 0", allocs)
	}
}
