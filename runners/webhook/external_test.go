package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// receiver is a webhook receiver written with plain net/http, as a user's
// would be: it verifies Standard Webhooks signatures with crypto/hmac (not
// with this package's code), records each id's attempts and can answer a
// first attempt with a chosen status and Retry-After.
type receiver struct {
	key        []byte // the secret's bytes
	wantHeader [2]string
	firstCode  int    // answer to each id's first attempt; 0 = 200
	retryAfter string // Retry-After sent with firstCode

	mu       sync.Mutex
	attempts map[string][]time.Time // webhook-id -> arrival times
	badSig   int
	badHdr   int
}

func newReceiver(t *testing.T, secret *Secret) *receiver {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret.Encode(), SecretPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return &receiver{key: raw, attempts: map[string][]time.Time{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	m := hmac.New(sha256.New, rc.key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	ok := false
	for _, s := range strings.Fields(r.Header.Get("webhook-signature")) {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !ok {
		rc.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.wantHeader[0] != "" && r.Header.Get(rc.wantHeader[0]) != rc.wantHeader[1] {
		rc.badHdr++
		http.Error(w, "missing header", http.StatusForbidden)
		return
	}
	rc.attempts[id] = append(rc.attempts[id], time.Now())
	if rc.firstCode != 0 && len(rc.attempts[id]) == 1 {
		if rc.retryAfter != "" {
			w.Header().Set("Retry-After", rc.retryAfter)
		}
		w.WriteHeader(rc.firstCode)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withSecret sets a fixed secret in an environment variable the scenario
// names, so the test's receiver knows it.
func withSecret(t *testing.T, sc *scenarios.Scenario) *Secret {
	t.Helper()
	sec, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("EVBENCH_TEST_SECRET", sec.Encode())
	ConfigOf(sc).Signing.SecretEnv = "EVBENCH_TEST_SECRET"
	return sec
}

func external(name, url string) scenarios.Subscriber {
	s := subscriber(name, 0)
	s.URL = url
	return s
}

// TestExternalReceiverSignedDeliveries: a url subscriber's deliveries go to
// a plain net/http receiver, every one signed so that the receiver's own
// HMAC check passes and carrying the subscriber's headers; the point
// counts its 2xx answers as deliveries and says so.
func TestExternalReceiverSignedDeliveries(t *testing.T) {
	sc := testScenario(100, 2*time.Second, 500*time.Millisecond, 3*time.Second)
	sec := withSecret(t, sc)
	rc := newReceiver(t, sec)
	rc.wantHeader = [2]string{"Authorization", "Bearer test-token"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	sub := external("partner", srv.URL+"/hooks/evbench")
	sub.Headers = map[string]string{"Authorization": "Bearer test-token"}
	sc.Subscribers = []scenarios.Subscriber{sub, subscriber("local", 0)}

	out := run(t, t.Context(), sc)
	s := out.byKey["partner"]
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSig != 0 || rc.badHdr != 0 {
		t.Fatalf("receiver: %d bad signatures, %d requests without the header", rc.badSig, rc.badHdr)
	}
	// Warm-up (50 events) and measured (200) all arrive, each once.
	total := int64(len(rc.attempts))
	if s.Accounting.Sent != 200 || s.Accounting.Delivered != 200 || s.Accounting.Lost != 0 || total != 250 {
		t.Fatalf("sent %d, delivered %d, lost %d; receiver saw %d distinct ids (want 200, 200, 0, 250)",
			s.Accounting.Sent, s.Accounting.Delivered, s.Accounting.Lost, total)
	}
	for id, at := range rc.attempts {
		if len(at) != 1 {
			t.Errorf("id %s arrived %d times", id, len(at))
		}
	}
	if s.E2E.LatencyUS.Count != 200 || s.E2E.LatencyUS.P50 <= 0 {
		t.Errorf("e2e (intended -> 2xx): %+v", s.E2E.LatencyUS)
	}
	if s.Endpoint == nil || s.Endpoint.Mode != results.EndpointAck || s.Endpoint.URL != sub.URL || s.Endpoint.Headers != 1 || s.Endpoint.InsecureSkipVerify {
		t.Errorf("endpoint in results: %+v", s.Endpoint)
	}
	if l := out.byKey["local"]; l.Endpoint != nil || l.Accounting.Delivered != 200 {
		t.Errorf("the in-process subscriber beside it: endpoint %+v, delivered %d", l.Endpoint, l.Accounting.Delivered)
	}
	if !hasNote(out.pt, "partner is an external receiver") || !hasNote(out.pt, "in-process") {
		t.Errorf("notes do not say how the subscribers were accounted: %q", out.pt.Notes)
	}
}

func hasNote(p *results.Point, sub string) bool {
	for _, n := range p.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

// TestExternalRetryAfter: a real receiver answering 429 or 503 with
// Retry-After gets the retry no earlier than it asked (the backoff alone
// would retry after 20-30 ms), and every event is delivered once.
func TestExternalRetryAfter(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			sc := testScenario(20, time.Second, 0, 5*time.Second)
			ConfigOf(sc).Retry.Initial = dur(25 * time.Millisecond)
			sec := withSecret(t, sc)
			rc := newReceiver(t, sec)
			rc.firstCode, rc.retryAfter = code, "1"
			srv := httptest.NewServer(rc)
			defer srv.Close()
			sc.Subscribers = []scenarios.Subscriber{external("limited", srv.URL)}

			out := run(t, t.Context(), sc)
			s := out.byKey["limited"]
			errs := s.Errors.HTTP4xx
			if code >= 500 {
				errs = s.Errors.HTTP5xx
			}
			if s.Accounting.Sent != 20 || s.Accounting.Delivered != 20 || s.Accounting.Retries != 20 || errs != 20 || s.AttemptsPerDelivery.Max != 2 {
				t.Fatalf("accounting %+v, errors %+v, attempts max %d: want 20 delivered after one retry each", s.Accounting, s.Errors, s.AttemptsPerDelivery.Max)
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			for id, at := range rc.attempts {
				if len(at) != 2 {
					t.Fatalf("id %s: %d attempts, want 2", id, len(at))
				}
				// Retry-After: 1 is one second; the retry timer fires on
				// time or later, never earlier (a few ms of clock
				// granularity allowed).
				if gap := at[1].Sub(at[0]); gap < time.Second-5*time.Millisecond {
					t.Errorf("id %s retried after %v, before Retry-After: 1", id, gap)
				}
			}
		})
	}
}
