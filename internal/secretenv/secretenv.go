// Package secretenv reads secrets (webhook signing secrets, SASL user
// names and passwords) from environment variables, with one rule for every
// caller: a variable that is unset is an error naming the variable and the
// setting that named it, and so is a variable set to the empty string. No
// secret evbench reads is meaningful when empty, so an empty value is a
// mistake (an unexported shell variable, a typo in a CI secret's name) and
// must not silently become an empty password or a failed parse later. The
// value itself never appears in an error.
package secretenv

import (
	"errors"
	"fmt"
	"os"
)

// ErrUnset and ErrEmpty classify a failed Get (errors.Is).
var (
	ErrUnset = errors.New("is not set")
	ErrEmpty = errors.New("is set but empty")
)

// Get returns the value of the environment variable name. setting names
// what pointed at the variable (e.g. "signing.secret_env",
// "--secret-env"), so the error says where to look.
func Get(name, setting string) (string, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return "", fmt.Errorf("environment variable %s (%s) %w", name, setting, ErrUnset)
	case v == "":
		return "", fmt.Errorf("environment variable %s (%s) %w", name, setting, ErrEmpty)
	}
	return v, nil
}
