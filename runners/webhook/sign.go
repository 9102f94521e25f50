package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Standard Webhooks header names (https://www.standardwebhooks.com/).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every Standard Webhooks secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock (either way) before the message is rejected as a replay.
// Five minutes is the value the specification recommends.
const DefaultTolerance = 5 * time.Minute

// Verification errors. They wrap into the error Verify returns, so callers
// can tell a missing header from a forged signature with errors.Is.
var (
	ErrMissingHeaders      = errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	ErrInvalidTimestamp    = errors.New("invalid webhook-timestamp")
	ErrTimestampTooOld     = errors.New("webhook-timestamp too old")
	ErrTimestampTooNew     = errors.New("webhook-timestamp too new")
	ErrNoMatchingSignature = errors.New("no matching v1 signature")
)

// Secret is a Standard Webhooks signing secret. It signs and verifies
// messages with HMAC-SHA256 and is safe for concurrent use. HMAC states are
// pooled, so signing and verifying do not allocate in steady state.
//
// String redacts the key so a Secret printed by accident (logs, %v of a
// config struct) never leaks it; use Encode for the real "whsec_" form.
type Secret struct {
	key  []byte
	pool sync.Pool // *macState
}

// macState is one pooled HMAC and its scratch buffers.
type macState struct {
	mac hash.Hash
	sum [sha256.Size]byte
	b64 [44]byte // base64 of 32 bytes
	num [20]byte
	v   Verifier // handed out by NewVerifier, so verifying does not allocate
}

// NewSecretFromKey returns a secret for a raw key (copied).
func NewSecretFromKey(key []byte) *Secret {
	s := &Secret{key: append([]byte(nil), key...)}
	s.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, s.key)} }
	return s
}

// ParseSecret parses a "whsec_<base64>" secret. The prefix is optional, as
// in the reference implementations; the rest must be standard base64.
func ParseSecret(s string) (*Secret, error) {
	raw := strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix)
	if raw == "" {
		return nil, errors.New("parse webhook secret: empty secret (want whsec_<base64>)")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("parse webhook secret: want whsec_<base64>: %w", err)
	}
	if len(key) == 0 {
		return nil, errors.New("parse webhook secret: empty key")
	}
	return NewSecretFromKey(key), nil
}

// NewSecret generates a random 32-byte secret (the run's secret when the
// scenario does not name an environment variable).
func NewSecret() (*Secret, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate webhook secret: %w", err)
	}
	return NewSecretFromKey(key), nil
}

// Encode returns the secret in its "whsec_<base64>" form.
func (s *Secret) Encode() string { return SecretPrefix + base64.StdEncoding.EncodeToString(s.key) }

// String returns a redacted form; see Encode.
func (s *Secret) String() string { return SecretPrefix + "<redacted>" }

// sum computes the raw HMAC of "id.timestamp.body" into st.sum.
func (s *Secret) sum(st *macState, msgID []byte, ts []byte, body []byte) []byte {
	st.mac.Reset()
	st.mac.Write(msgID)
	st.mac.Write(dot)
	st.mac.Write(ts)
	st.mac.Write(dot)
	st.mac.Write(body)
	return st.mac.Sum(st.sum[:0])
}

var dot = []byte{'.'}

// AppendSignature appends the webhook-signature value "v1,<base64>" for
// message msgID sent at Unix time ts with body to dst. It allocates only
// when dst must grow.
func (s *Secret) AppendSignature(dst, msgID []byte, ts int64, body []byte) []byte {
	st := s.pool.Get().(*macState)
	sum := s.sum(st, msgID, strconv.AppendInt(st.num[:0], ts, 10), body)
	dst = append(dst, "v1,"...)
	dst = base64.StdEncoding.AppendEncode(dst, sum)
	s.pool.Put(st)
	return dst
}

// Sign returns the webhook-signature value "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>" for a message. Use AppendSignature on hot paths.
func (s *Secret) Sign(msgID string, ts int64, body []byte) string {
	return string(s.AppendSignature(make([]byte, 0, 48), []byte(msgID), ts, body))
}

// Verify checks a message's Standard Webhooks headers against its body at
// time now: the timestamp must be within tolerance of now (either side; 0
// means DefaultTolerance) and one of the space-separated signatures must be
// a v1 signature that matches, compared in constant time. Other signature
// versions are ignored, as the specification requires.
func (s *Secret) Verify(msgID, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	return s.VerifyBytes([]byte(msgID), []byte(timestamp), []byte(signatures), body, now, tolerance)
}

// VerifyBytes is Verify over raw header values; it does not allocate.
func (s *Secret) VerifyBytes(msgID, timestamp, signatures, body []byte, now time.Time, tolerance time.Duration) error {
	v, err := s.NewVerifier(msgID, timestamp, signatures, now, tolerance)
	if err != nil {
		return err
	}
	_, _ = v.Write(body)
	return v.Check()
}

// Verifier checks one message's signature over a body written to it in
// pieces, so a receiver can verify a body it streams and never holds (the
// sink's bounded memory relies on it). Use NewVerifier, Write the body,
// then Check exactly once, which also releases the Verifier.
type Verifier struct {
	s    *Secret
	st   *macState
	sigs []byte
}

// NewVerifier checks the headers that do not need the body (all present,
// timestamp within tolerance of now; 0 means DefaultTolerance) and starts
// the HMAC of "id.timestamp.". signatures is kept until Check and must not
// change meanwhile.
func (s *Secret) NewVerifier(msgID, timestamp, signatures []byte, now time.Time, tolerance time.Duration) (*Verifier, error) {
	if len(msgID) == 0 || len(timestamp) == 0 || len(signatures) == 0 {
		return nil, ErrMissingHeaders
	}
	ts, ok := parseInt(timestamp)
	if !ok {
		return nil, ErrInvalidTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tol := int64(tolerance / time.Second)
	n := now.Unix()
	if ts < n-tol {
		return nil, ErrTimestampTooOld
	}
	if ts > n+tol {
		return nil, ErrTimestampTooNew
	}
	st := s.pool.Get().(*macState)
	st.mac.Reset()
	st.mac.Write(msgID)
	st.mac.Write(dot)
	st.mac.Write(timestamp)
	st.mac.Write(dot)
	st.v = Verifier{s: s, st: st, sigs: signatures}
	return &st.v, nil
}

// Write adds body bytes; it never fails.
func (v *Verifier) Write(p []byte) (int, error) { return v.st.mac.Write(p) }

// Check reports whether one of the space-separated signatures is a v1
// signature matching the body written, compared in constant time; other
// signature versions are ignored, as the specification requires. It
// releases v.
func (v *Verifier) Check() error {
	st, s, rest := v.st, v.s, v.sigs
	want := base64.StdEncoding.AppendEncode(st.b64[:0], st.mac.Sum(st.sum[:0]))
	err := ErrNoMatchingSignature
	for len(rest) > 0 {
		var one []byte
		if i := bytes.IndexByte(rest, ' '); i >= 0 {
			one, rest = rest[:i], rest[i+1:]
		} else {
			one, rest = rest, nil
		}
		c := bytes.IndexByte(one, ',')
		if c < 0 || string(one[:c]) != "v1" {
			continue
		}
		if hmac.Equal(one[c+1:], want) {
			err = nil
			break
		}
	}
	st.v = Verifier{}
	s.pool.Put(st)
	return err
}

// parseInt parses a non-negative decimal int64 without allocating.
func parseInt(b []byte) (int64, bool) {
	u, ok := parseUint(b)
	if !ok || u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// parseUint parses a decimal uint64 without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
