// Package childproc starts a child process of evbench's own executable and
// hands it its configuration. The webhook sender (runners/webhook), the
// bridge (runners/bridge) and the Kafka consumer group processes
// (runners/kafka) run as such children: each package's init sees its own
// environment marker and runs the child instead of the program, so any
// binary that links the package (evbench or a test binary) can be the
// child. The three used to carry copies of the same start-up code; this
// package is the one copy of what they share:
//
//   - Start: the parent's side, the child started with MARKER=1 and its
//     configuration sent as the first frame on its stdin;
//   - ReadConfig: the child's side, that frame read and decoded;
//   - FrameWriter: a child's coalescing writer of frames to the parent.
//
// The configuration frame is the byte 'C', the length of the body as a
// big-endian uint32, then the body: the configuration encoded with
// encoding/gob. Every other frame type belongs to its package's protocol.
package childproc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// ConfigFrame is the type byte of the configuration frame, the first frame
// a child reads.
const ConfigFrame = 'C'

// MaxConfig bounds a configuration frame's body: ReadConfig rejects a
// longer one and Start refuses to send it.
const MaxConfig = 64 << 20

// Proc is a started child: its configuration frame has been written.
type Proc struct {
	Cmd    *exec.Cmd
	Stdin  io.WriteCloser // the parent's frames to the child
	Stdout io.ReadCloser  // the child's frames to the parent
}

// Start runs exe with env=1 added to this process's environment and
// stderr as its standard error, and writes cfg to its stdin as the
// configuration frame (AppendConfig). If that write fails the child is
// killed and waited for. Errors carry no prefix: callers add their own
// ("sender process: ...").
func Start(exe, env string, cfg any, stderr io.Writer) (*Proc, error) {
	frame, err := AppendConfig(nil, cfg)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	if _, err := stdin.Write(frame); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("config: %w", err)
	}
	return &Proc{Cmd: cmd, Stdin: stdin, Stdout: stdout}, nil
}

// AppendConfig appends cfg's configuration frame to b.
func AppendConfig(b []byte, cfg any) ([]byte, error) {
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if body.Len() > MaxConfig {
		return nil, fmt.Errorf("config: %d bytes, more than a child reads (%d)", body.Len(), MaxConfig)
	}
	b = binary.BigEndian.AppendUint32(append(b, ConfigFrame), uint32(body.Len()))
	return append(b, body.Bytes()...), nil
}

// ReadConfig reads the configuration frame, which must come first, from r
// and decodes it into cfg (a pointer to the type the parent sent). It reads
// nothing past the frame: the parent's next frames stay in r.
func ReadConfig(r *bufio.Reader, cfg any) error {
	typ, err := r.ReadByte()
	if err != nil {
		return fmt.Errorf("no config frame: %w", err)
	}
	if typ != ConfigFrame {
		return fmt.Errorf("no config frame: got frame %q first", typ)
	}
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return fmt.Errorf("config: length: %w", noEOF(err))
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > MaxConfig {
		return fmt.Errorf("config: frame of %d bytes, more than %d", size, MaxConfig)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("config: %d-byte body: %w", size, noEOF(err))
	}
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// noEOF turns a clean end of input inside a frame into a truncated frame.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
