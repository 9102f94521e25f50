package netem

import "github.com/evbench/evbench/scenarios/netspec"

// Spec is the network on one link. It lives in scenarios/netspec so the
// scenario loader (the bottom package) can parse and validate it without
// importing Toxiproxy; netem only turns it into toxics.
type Spec = netspec.Spec
