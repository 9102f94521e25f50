package secretenv

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	const name = "EVBENCH_SECRETENV_TEST"
	tests := []struct {
		name    string
		set     bool
		value   string
		want    string
		wantErr error
	}{
		{"set", true, "whsec_abc", "whsec_abc", nil},
		{"unset", false, "", "", ErrUnset},
		{"empty", true, "", "", ErrEmpty},
		{"spaces are a value", true, " ", " ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(name, "placeholder") // restores the variable afterwards
			if tc.set {
				os.Setenv(name, tc.value)
			} else {
				os.Unsetenv(name)
			}
			got, err := Get(name, "signing.secret_env")
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("Get = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "signing.secret_env")) {
				t.Errorf("error %q does not name the variable and the setting", err)
			}
		})
	}
}
