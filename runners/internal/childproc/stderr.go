package childproc

import (
	"bytes"
	"sync"
)

// StderrMax is how much of a child's standard error Stderr keeps.
const StderrMax = 64 << 10

// Stderr keeps the first StderrMax bytes of a child's standard error, for
// the error that reports how the child ended; later bytes are dropped, so
// a chatty child never blocks and memory stays bounded. The zero value is
// ready to use. (The Kafka group processes keep the last bytes instead:
// runners/kafka/isolate.go.)
type Stderr struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write keeps what fits and always reports all of p written.
func (s *Stderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := StderrMax - s.b.Len(); room > 0 {
		s.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Bytes is a copy of what was kept.
func (s *Stderr) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
