package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/evbench/evbench/scenarios"
)

// payloadVariants is how many payload slots events cycle through. Events
// pick one by index, so generating an event allocates nothing; the event id
// travels in headers (webhook-id, Kafka record headers), not in the body.
const payloadVariants = 256

// PoolBytes bounds the memory of the distinct pre-generated payloads. 256
// distinct payloads of a valid 16 MiB size would take 4 GiB (8.5 GB RSS was
// measured); within this budget a 16 MiB size gets 4 distinct payloads
// and the default 1 KiB gets 256. Slots beyond the budget reuse the
// distinct payloads in turn.
const PoolBytes = 64 << 20

var (
	products = []string{"sku-keyboard", "sku-monitor", "sku-laptop", "sku-headset", "sku-chair", "sku-desk", "sku-cable", "sku-dock"}
	cities   = []string{"Lisbon", "Osaka", "Austin", "Nairobi", "Berlin", "Lima", "Perth", "Toronto"}
)

// makePayloads returns payloadVariants realistic JSON order events whose
// sizes follow the event's size distribution. Sizes are capped at
// scenarios.MaxEventSize: the validator bounds fixed, uniform and lognormal
// sizes by their value, max or p99, but exponential and lognormal tails are
// unbounded (an exponential mean of 16 MiB sampled 90 MB, beyond what a
// webhook sink accepts). Distinct payloads are generated while their total
// stays within PoolBytes (always at least one): sizes are independent
// samples, so the payloads kept are an unbiased sample of the
// distribution; the remaining slots repeat them in turn.
func makePayloads(ev scenarios.Event, rng *rand.Rand) [][]byte {
	typ := ev.Type
	if typ == "" {
		typ = "order.created"
	}
	// The type comes from the scenario file: quote it as a JSON string so a
	// quote, backslash or control character cannot break the document.
	qtyp, err := json.Marshal(typ)
	if err != nil {
		qtyp = []byte(`"order.created"`) // unreachable: a string always marshals
	}
	out := make([][]byte, payloadVariants)
	distinct, total := 0, 0
	for i := range out {
		size := sampleSize(ev.Size, rng)
		if distinct > 0 && total+size > PoolBytes {
			break
		}
		out[i] = jsonEvent(qtyp, i, size, rng)
		total += len(out[i])
		distinct++
	}
	for i := distinct; i < len(out); i++ {
		out[i] = out[i%distinct]
	}
	return out
}

// sampleSize draws one payload size in bytes, within [0, MaxEventSize].
func sampleSize(d scenarios.Dist, rng *rand.Rand) int {
	v := d.Sample(rng)
	switch {
	case !(v > 0): // also NaN
		return 0
	case v > float64(scenarios.MaxEventSize):
		return int(scenarios.MaxEventSize)
	}
	return int(v)
}

// jsonEvent builds one JSON document of exactly size bytes when size is
// large enough for the skeleton, padding with a "note" string. qtyp is the
// event type already encoded as a JSON string (quotes included).
func jsonEvent(qtyp []byte, i, size int, rng *rand.Rand) []byte {
	items := 1 + rng.IntN(3)
	b := make([]byte, 0, max(size, 512))
	b = append(b, `{"type":`+string(qtyp)+`,"data":{"order_id":"ord_`+strconv.Itoa(100000+rng.IntN(900000))+`","customer":"cus_`+strconv.Itoa(rng.IntN(1_000_000))+`","city":"`+cities[rng.IntN(len(cities))]+`","items":[`...)
	total := 0
	for j := 0; j < items; j++ {
		if j > 0 {
			b = append(b, ',')
		}
		qty := 1 + rng.IntN(4)
		price := 500 + rng.IntN(50000)
		total += qty * price
		b = fmt.Appendf(b, `{"sku":%q,"qty":%d,"price_cents":%d}`, products[rng.IntN(len(products))], qty, price)
	}
	b = fmt.Appendf(b, `],"total_cents":%d,"currency":"EUR","variant":%d,"note":"`, total, i)
	const tail = `"}}`
	pad := size - len(b) - len(tail)
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
	for k := 0; k < pad; k++ {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return append(b, tail...)
}
