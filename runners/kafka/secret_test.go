package kafka

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/scenarios"
)

// TestSASLCredentialsFromEnv: SASL credentials follow internal/secretenv's
// one rule (unset and empty are both errors naming the variable and the
// setting); the credentials never appear in the error.
func TestSASLCredentialsFromEnv(t *testing.T) {
	const u, p = "EVBENCH_TEST_SASL_USER", "EVBENCH_TEST_SASL_PASS"
	tests := []struct {
		name       string
		user, pass *string
		want       error
		mentions   string
	}{
		{"both set", envValue("alice"), envValue("hunter2"), nil, ""},
		{"user unset", nil, envValue("hunter2"), secretenv.ErrUnset, "sasl.username_env"},
		{"user empty", envValue(""), envValue("hunter2"), secretenv.ErrEmpty, u},
		{"password unset", envValue("alice"), nil, secretenv.ErrUnset, p},
		{"password empty", envValue("alice"), envValue(""), secretenv.ErrEmpty, "sasl.password_env"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setOrUnset(t, u, tc.user)
			setOrUnset(t, p, tc.pass)
			_, err := saslMechanism(&scenarios.KafkaSASL{Mechanism: SASLScramSHA512, UsernameEnv: u, PasswordEnv: p})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil && (!strings.Contains(err.Error(), tc.mentions) || strings.Contains(err.Error(), "hunter2")) {
				t.Errorf("error %q: want it to name %s and not show the password", err, tc.mentions)
			}
		})
	}
}

func envValue(s string) *string { return &s }

func setOrUnset(t *testing.T, name string, v *string) {
	t.Helper()
	t.Setenv(name, "") // restores the variable after the test
	if v == nil {
		os.Unsetenv(name)
	} else {
		os.Setenv(name, *v)
	}
}
