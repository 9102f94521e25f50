// Package netspec is the description of an emulated network link: the Spec
// type, its strict parsing from a scenario's `network` value (a profile name
// or an inline map such as {latency: 50ms, jitter: 5ms}) and the named
// profiles of profiles.yaml (embedded), each figure with a public source or
// labelled an assumption.
//
// It is separate from runners/netem, which runs the links with Toxiproxy,
// because scenarios (the bottom package) must validate network keys without
// importing a runner. Convention: Spec.Latency is the one-way delay added in
// EACH direction, so a 50 ms link has a 100 ms round trip. docs/network.md
// describes the keys and profiles.
package netspec
