//go:build !unix

package limitedfile

import "os"

// openNonBlocking opens path for reading (systems without named pipes in
// the file system need no special flag).
func openNonBlocking(path string) (*os.File, error) {
	return os.Open(path)
}
