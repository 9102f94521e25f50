package bridge

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/secretenv"
)

// TestSecretFromEnv: the bridge's signing secret follows
// internal/secretenv's one rule: unset and empty are errors naming the
// variable; a set value must parse as whsec_<base64>.
func TestSecretFromEnv(t *testing.T) {
	const name = "EVBENCH_TEST_BRIDGE_SECRET"
	tests := []struct {
		name  string
		value *string
		want  error
		ok    bool
	}{
		{"unset", nil, secretenv.ErrUnset, false},
		{"empty", envValue(""), secretenv.ErrEmpty, false},
		{"valid", envValue("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(name, "")
			if tc.value == nil {
				os.Unsetenv(name)
			} else {
				os.Setenv(name, *tc.value)
			}
			s, err := Config{Signing: true, SecretEnv: name}.Secret()
			if !errors.Is(err, tc.want) || (s != nil) != tc.ok {
				t.Fatalf("Secret() = %v, %v; want error %v", s, err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		})
	}
}

func envValue(s string) *string { return &s }
