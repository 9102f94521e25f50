package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/evbench/evbench/scenarios"
)

// payloadVariants is how many distinct payloads are pre-generated. Events
// pick one by index, so generating an event allocates nothing; the event id
// travels in headers (webhook-id, Kafka record headers), not in the body.
const payloadVariants = 256

var (
	products = []string{"sku-keyboard", "sku-monitor", "sku-laptop", "sku-headset", "sku-chair", "sku-desk", "sku-cable", "sku-dock"}
	cities   = []string{"Lisbon", "Osaka", "Austin", "Nairobi", "Berlin", "Lima", "Perth", "Toronto"}
)

// makePayloads returns realistic JSON order events whose sizes follow dist.
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
	for i := range out {
		size := int(ev.Size.Sample(rng))
		if size < 0 {
			size = 0
		}
		out[i] = jsonEvent(qtyp, i, size, rng)
	}
	return out
}

// jsonEvent builds one JSON document of exactly size bytes when size is
// large enough for the skeleton, padding with a "note" string. qtyp is the
// event type already encoded as a JSON string (quotes included).
func jsonEvent(qtyp []byte, i, size int, rng *rand.Rand) []byte {
	items := 1 + rng.IntN(3)
	b := []byte(`{"type":` + string(qtyp) + `,"data":{"order_id":"ord_` + strconv.Itoa(100000+rng.IntN(900000)) + `","customer":"cus_` + strconv.Itoa(rng.IntN(1_000_000)) + `","city":"` + cities[rng.IntN(len(cities))] + `","items":[`)
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
