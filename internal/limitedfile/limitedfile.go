// Package limitedfile reads input files (scenarios, cost profiles,
// results.json) with a size bound, so a hostile or mistaken path cannot
// exhaust memory or hang the process: /dev/zero would otherwise be read
// until memory runs out, and a named pipe without a writer blocks forever.
//
// Only regular files are read. The file is opened without blocking (a FIFO
// open would otherwise wait for a writer), its type is checked on the open
// descriptor, and at most limit+1 bytes are read, so a file that grows while
// it is read is caught as well.
package limitedfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is returned (wrapped) when a file holds more than the limit.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is returned (wrapped) for directories, devices, named pipes
// and sockets.
var ErrNotRegular = errors.New("not a regular file")

// Read returns the contents of the regular file at path when it holds at
// most limit bytes. Errors wrap the *os.PathError (so errors.Is(err,
// fs.ErrNotExist) works), ErrNotRegular or ErrTooLarge, and say what was
// expected in plain words; they never include the file's contents.
func Read(path string, limit int64) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%s); give the path of a file", ErrNotRegular, kind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, at most %d are read", ErrTooLarge, st.Size(), limit)
	}
	// Size is only a hint (procfs files report 0, files grow): read at
	// most limit+1 bytes and decide on what was read.
	capacity := st.Size() + 1
	if capacity > limit+1 {
		capacity = limit + 1
	}
	buf := make([]byte, 0, capacity)
	r := io.LimitReader(f, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
	}
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	default:
		return "mode " + m.String()
	}
}
