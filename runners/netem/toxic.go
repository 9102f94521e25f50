package netem

import (
	"math/rand/v2"
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// latencyToxicType names preciseLatency in Toxiproxy's toxic registry.
const latencyToxicType = "evbench_latency"

// preciseLatency is Toxiproxy's latency toxic (toxics.LatencyToxic) with
// nanosecond instead of millisecond fields: the stock toxic cannot express
// the same-zone profile's 225us. It plugs into Toxiproxy's own toxic chain
// through its registry (toxics.Register); the proxying stays Toxiproxy's.
type preciseLatency struct {
	LatencyNS int64 `json:"latency_ns"`
	JitterNS  int64 `json:"jitter_ns"`
}

func init() { toxics.Register(latencyToxicType, new(preciseLatency)) }

// GetBufferSize matches the stock latency toxic: chunks queue while earlier
// ones wait out their delay, so the delay pipelines instead of serialising.
func (t *preciseLatency) GetBufferSize() int { return 1024 }

func (t *preciseLatency) delay() time.Duration {
	d := t.LatencyNS
	if t.JitterNS > 0 {
		d += rand.Int64N(2*t.JitterNS+1) - t.JitterNS
	}
	return time.Duration(d)
}

// Pipe delays each chunk until delay() after it was read from the socket.
// Chunks leave in order: one still waiting holds back those behind it, as a
// TCP stream would.
func (t *preciseLatency) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if sleep := t.delay() - time.Since(c.Timestamp); sleep > 0 {
				timer := time.NewTimer(sleep)
				select {
				case <-timer.C:
				case <-stub.Interrupt:
					timer.Stop()
					stub.Output <- c // never drop data on an interrupt
					return
				}
			}
			c.Timestamp = time.Now()
			stub.Output <- c
		}
	}
}
