package measure

// maxRSSBytes converts getrusage's ru_maxrss, which macOS reports in bytes.
func maxRSSBytes(v int64) int64 { return v }
