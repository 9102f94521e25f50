package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/webhook"
	. "github.com/evbench/evbench/scenarios"
)

func TestRetryPresetsFile(t *testing.T) {
	names := RetryPresetNames()
	for _, want := range []string{"github", "shopify", "stripe", "svix"} {
		if _, ok := LookupRetryPreset(want); !ok {
			t.Errorf("preset %s missing (have %v)", want, names)
		}
	}
	for _, p := range RetryPresets() {
		if len(p.Sources) == 0 || p.Stated == "" || p.MaxAttempts != len(p.Schedule)+1 {
			t.Errorf("preset %s incomplete: %+v", p.Name, p)
		}
	}
	// The figures the providers state, as the file records them.
	svix, _ := LookupRetryPreset("svix")
	if got, want := svix.Budget().D(), 27*time.Hour+35*time.Minute+5*time.Second; got != want || svix.Timeout.D() != 15*time.Second {
		t.Errorf("svix: budget %v timeout %v, want %v and 15s (docs.svix.com/retries)", got, svix.Timeout, want)
	}
	shop, _ := LookupRetryPreset("shopify")
	if len(shop.Schedule) != 8 || shop.Budget().D() > 4*time.Hour || shop.Timeout.D() != 5*time.Second {
		t.Errorf("shopify: %d retries over %v timeout %v, want 8 within 4h and 5s", len(shop.Schedule), shop.Budget(), shop.Timeout)
	}
	gh, _ := LookupRetryPreset("github")
	if gh.MaxAttempts != 1 || gh.Timeout.D() != 10*time.Second {
		t.Errorf("github: %d attempts timeout %v, want 1 (no automatic redelivery) and 10s", gh.MaxAttempts, gh.Timeout)
	}
	// Stripe states "up to three days" only: the assumed doubling schedule
	// must fit in three days and one more doubling must not.
	st, _ := LookupRetryPreset("stripe")
	last := st.Schedule[len(st.Schedule)-1]
	if st.Budget().D() > 72*time.Hour || (st.Budget()+2*last).D() <= 72*time.Hour || st.Timeout != 0 || st.Assumed == "" {
		t.Errorf("stripe: budget %v, next %v, timeout %v: want the largest doubling schedule within 3 days, no stated timeout, labelled assumed", st.Budget(), 2*last, st.Timeout)
	}
	for i := 1; i < len(st.Schedule); i++ {
		if st.Schedule[i] != 2*st.Schedule[i-1] {
			t.Errorf("stripe schedule[%d] = %v, want double %v", i, st.Schedule[i], st.Schedule[i-1])
		}
	}
	if _, err := ParseRetryPresets([]byte("x: {provider: X, sources: [https://x], schedule: [1s], max_attempts: 3, stated: s}\n")); err == nil {
		t.Error("a preset whose max_attempts does not match its schedule was accepted")
	}
	if _, err := ParseRetryPresets([]byte("x: {provider: X, sources: [https://x], schedule: [1s], max_attempts: 2, stated: s, typo: 1}\n")); err == nil {
		t.Error("an unknown preset field was accepted")
	}
}

func TestRetryPresetScenarios(t *testing.T) {
	const head = "load: {rate: 10/s, duration: 2s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n"
	cases := []struct {
		name, webhook string
		err           string // substring of the error, "" = loads
		check         func(t *testing.T, w *webhook.Config)
	}{
		{"svix", "    retry: {preset: svix}\n", "", func(t *testing.T, w *webhook.Config) {
			if w.Retry.Preset != "svix" || w.Retry.MaxAttempts != 8 || w.Retry.Backoff != BackoffSchedule || len(w.Retry.Schedule) != 7 || w.Retry.Jitter != 0 || w.Timeout.D() != 15*time.Second {
				t.Errorf("resolved %+v timeout %v", w.Retry, w.Timeout)
			}
		}},
		{"stripe keeps the default timeout", "    retry: {preset: stripe}\n", "", func(t *testing.T, w *webhook.Config) {
			if w.Timeout != DefaultWebhookTimeout || w.Retry.MaxAttempts != 13 {
				t.Errorf("timeout %v attempts %d", w.Timeout, w.Retry.MaxAttempts)
			}
		}},
		{"github", "    retry: {preset: github}\n", "", func(t *testing.T, w *webhook.Config) {
			if w.Retry.MaxAttempts != 1 || w.Timeout.D() != 10*time.Second {
				t.Errorf("attempts %d timeout %v", w.Retry.MaxAttempts, w.Timeout)
			}
		}},
		{"overrides", "    timeout: 2s\n    retry: {preset: shopify, max_attempts: 3, jitter: 0.1, honour_retry_after: false}\n", "", func(t *testing.T, w *webhook.Config) {
			if w.Timeout.D() != 2*time.Second || w.Retry.MaxAttempts != 3 || w.Retry.Jitter != 0.1 || *w.Retry.HonourRetryAfter {
				t.Errorf("overrides lost: %+v timeout %v", w.Retry, w.Timeout)
			}
		}},
		{"unknown", "    retry: {preset: paypal}\n", `x.yaml:5:21: systems.webhook.retry.preset: "paypal" is not allowed (allowed: github, shopify, stripe, svix)`, nil},
		{"with schedule", "    retry: {preset: svix, schedule: [1s]}\n", "x.yaml:5:27: systems.webhook.retry.schedule: not used with a preset", nil},
		{"too many attempts", "    retry: {preset: shopify, max_attempts: 10}\n", "x.yaml:5:44: systems.webhook.retry.max_attempts: the shopify preset makes at most 9 attempts", nil},
		{"github retries", "    retry: {preset: github, max_attempts: 2}\n", "the github preset makes at most 1 attempts (0 delays)", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := LoadBytes("x.yaml", []byte(head+c.webhook))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, webhook.ConfigOf(sc))
		})
	}
}
