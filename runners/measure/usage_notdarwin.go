//go:build !darwin

package measure

// maxRSSBytes converts getrusage's ru_maxrss, which Linux and the BSDs
// report in KiB (getrusage(2)).
func maxRSSBytes(v int64) int64 { return v * 1024 }
