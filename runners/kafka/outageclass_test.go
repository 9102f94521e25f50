package kafka

import (
	"context"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/evbench/evbench/runners/measure"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestOutageConnectErrorsOfDifferentTypes is the regression test for a
// panic seen in the multi-node fault tests: Outage kept the last failed
// connection's error in an atomic.Value, which panics ("store of
// inconsistently typed value") when a later failure has another concrete
// type (a *net.OpError, then a context error).
func TestOutageConnectErrorsOfDifferentTypes(t *testing.T) {
	var o Outage
	o.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	o.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, context.DeadlineExceeded)
	if got := o.Describe(); !strings.Contains(got, context.DeadlineExceeded.Error()) || o.Class() != measure.ErrRefused {
		t.Errorf("Describe() = %q, class %v: want the last error, class refused", got, o.Class())
	}
}
