package curves

import (
	"math"
	"strconv"
)

// HumanNumber formats v compactly for tables: 1500 -> "1.5k", 2e6 -> "2M",
// 0.25 -> "0.25" (chart axes use reports/plot.Human).
func HumanNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 3, 64)
}
