package results

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// V2 encoding cookies (HdrHistogram's; the 0x10 is the word size flag
// every implementation writes).
const (
	v2Cookie           = 0x1c849303 | 0x10
	v2CompressedCookie = 0x1c849304 | 0x10
)

// zlibWriters pools BestCompression zlib writers. hdrhistogram-go's Encode
// makes a new one per histogram, about 800 KiB of compressor state each:
// building the results of 1,000 webhook subscribers (six histograms each)
// allocated gigabytes and raised the process's peak RSS (issue 15 item 5).
var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestCompression) // the level is valid
	return w
}}

// encodeV2 is hdrhistogram-go's Encode(V2CompressedEncodingCookieBase),
// byte for byte (TestEncodeV2MatchesLibrary), with a pooled compressor.
func encodeV2(h *hdr.Histogram) (string, error) {
	s := h.Export()
	// Counts up to the last non-zero one (the library's
	// countsIndexFor(Max())+1), at least one: an empty histogram encodes
	// one zero count.
	limit := 1
	for i := len(s.Counts) - 1; i > 0; i-- {
		if s.Counts[i] != 0 {
			limit = i + 1
			break
		}
	}
	var payload []byte
	for i := 0; i < limit; {
		c := s.Counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && s.Counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				payload = appendZigZag(payload, -zeros)
				continue
			}
		}
		payload = appendZigZag(payload, c)
	}
	ratio := s.IntegerToDoubleConversionRatio
	if ratio == 0 {
		ratio = 1
	}
	raw := make([]byte, 40, 40+len(payload))
	binary.BigEndian.PutUint32(raw[0:], v2Cookie)
	binary.BigEndian.PutUint32(raw[4:], uint32(len(payload)))
	binary.BigEndian.PutUint32(raw[8:], 0) // normalizing index offset
	binary.BigEndian.PutUint32(raw[12:], uint32(s.SignificantFigures))
	binary.BigEndian.PutUint64(raw[16:], uint64(s.LowestTrackableValue))
	binary.BigEndian.PutUint64(raw[24:], uint64(s.HighestTrackableValue))
	binary.BigEndian.PutUint64(raw[32:], math.Float64bits(ratio))
	raw = append(raw, payload...)

	var z bytes.Buffer
	w := zlibWriters.Get().(*zlib.Writer)
	w.Reset(&z)
	_, err := w.Write(raw)
	if err == nil {
		err = w.Close()
	}
	w.Reset(nil) // do not keep z alive in the pool
	zlibWriters.Put(w)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	out := make([]byte, 8, 8+z.Len())
	binary.BigEndian.PutUint32(out[0:], v2CompressedCookie)
	binary.BigEndian.PutUint32(out[4:], uint32(z.Len()))
	out = append(out, z.Bytes()...)
	return base64.StdEncoding.EncodeToString(out), nil
}

// appendZigZag appends v as a ZigZag LEB128 long of at most 9 bytes, the
// V2 counts format.
func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u)) // the ninth byte carries the top 8 bits
}
