package orc

import (
	"bytes"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"google.golang.org/protobuf/encoding/protowire"
)

// maxStatString is the longest string minimum or maximum stored as is;
// longer ones are stored as a truncated lower or upper bound (ORC-203).
const maxStatString = 1024

// colStats accumulates the ColumnStatistics of one column over a row group,
// a stripe or the file. Counts exclude nulls, as readers expect.
type colStats struct {
	count   uint64
	hasNull bool
	has     bool // a minimum and maximum were seen

	imin, imax, isum int64 // integers, dates (days)
	sumBad           bool  // integer or decimal sum overflowed; double sum infinite

	dmin, dmax, dsum float64
	dnan             bool

	smin, smax []byte // strings
	ssum       int64  // string or binary total length

	trueCount uint64

	decMin, decMax, decSum decimal128.Num

	tsMin, tsMax ts

	cmin, cmax, ctotal uint64 // lists and maps: children per value
}

// ts is an instant as seconds since the epoch (floored) and nanoseconds.
type ts struct {
	sec  int64
	nsec int32
}

func (a ts) less(b ts) bool { return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec) }

// millis is the instant in milliseconds since the epoch, floored.
func (a ts) millis() int64 { return a.sec*1000 + int64(a.nsec/1e6) }

func (s *colStats) reset() { *s = colStats{smin: s.smin[:0], smax: s.smax[:0]} }

func (s *colStats) updateInt(v int64) {
	if !s.has {
		s.has, s.imin, s.imax = true, v, v
	} else if v < s.imin {
		s.imin = v
	} else if v > s.imax {
		s.imax = v
	}
	if !s.sumBad {
		sum := s.isum + v
		if (v > 0 && sum < s.isum) || (v < 0 && sum > s.isum) {
			s.sumBad = true
		}
		s.isum = sum
	}
}

func (s *colStats) updateDouble(v float64) {
	s.dsum += v
	if math.IsNaN(v) {
		s.dnan = true
		return
	}
	if !s.has {
		s.has, s.dmin, s.dmax = true, v, v
	} else if v < s.dmin {
		s.dmin = v
	} else if v > s.dmax {
		s.dmax = v
	}
}

func (s *colStats) updateString(v string) {
	s.ssum += int64(len(v))
	if !s.has {
		s.has = true
		s.smin = append(s.smin[:0], v...)
		s.smax = append(s.smax[:0], v...)
		return
	}
	if v < string(s.smin) {
		s.smin = append(s.smin[:0], v...)
	} else if v > string(s.smax) {
		s.smax = append(s.smax[:0], v...)
	}
}

func (s *colStats) updateDecimal(v decimal128.Num) {
	if !s.has {
		s.has, s.decMin, s.decMax = true, v, v
	} else if v.Less(s.decMin) {
		s.decMin = v
	} else if v.Greater(s.decMax) {
		s.decMax = v
	}
	if !s.sumBad {
		s.decSum, s.sumBad = addDecimal(s.decSum, v)
	}
}

// addDecimal adds two decimals and reports overflow past 38 digits, where
// ORC drops the sum.
func addDecimal(a, b decimal128.Num) (decimal128.Num, bool) {
	sum := a.Add(b)
	// Both operands are under 10^38 in magnitude, so a 128-bit overflow shows
	// as a sign flip.
	if a.Sign() == b.Sign() && a.Sign() != 0 && sum.Sign() != a.Sign() {
		return sum, true
	}
	return sum, !sum.Abs().Less(decimal128.GetScaleMultiplier(38))
}

func (s *colStats) updateTimestamp(v ts) {
	if !s.has {
		s.has, s.tsMin, s.tsMax = true, v, v
	} else if v.less(s.tsMin) {
		s.tsMin = v
	} else if s.tsMax.less(v) {
		s.tsMax = v
	}
}

func (s *colStats) updateChildren(n uint64) {
	if !s.has {
		s.has, s.cmin, s.cmax = true, n, n
	} else if n < s.cmin {
		s.cmin = n
	} else if n > s.cmax {
		s.cmax = n
	}
	s.ctotal += n
}

// merge adds o's statistics to s.
func (s *colStats) merge(o *colStats, kind int) {
	s.count += o.count
	s.hasNull = s.hasNull || o.hasNull
	s.trueCount += o.trueCount
	s.ssum += o.ssum
	s.dsum += o.dsum
	s.dnan = s.dnan || o.dnan
	s.ctotal += o.ctotal
	switch kind {
	case kindByte, kindShort, kindInt, kindLong, kindDate:
		if !s.sumBad {
			if o.sumBad {
				s.sumBad = true
			} else {
				sum := s.isum + o.isum
				if (o.isum > 0 && sum < s.isum) || (o.isum < 0 && sum > s.isum) {
					s.sumBad = true
				}
				s.isum = sum
			}
		}
	case kindDecimal:
		if !s.sumBad {
			if o.sumBad {
				s.sumBad = true
			} else {
				s.decSum, s.sumBad = addDecimal(s.decSum, o.decSum)
			}
		}
	}
	if !o.has {
		return
	}
	first := !s.has
	s.has = true
	switch kind {
	case kindByte, kindShort, kindInt, kindLong, kindDate:
		if first || o.imin < s.imin {
			s.imin = o.imin
		}
		if first || o.imax > s.imax {
			s.imax = o.imax
		}
	case kindFloat, kindDouble:
		if first || o.dmin < s.dmin {
			s.dmin = o.dmin
		}
		if first || o.dmax > s.dmax {
			s.dmax = o.dmax
		}
	case kindString, kindChar, kindVarchar:
		if first || bytes.Compare(o.smin, s.smin) < 0 {
			s.smin = append(s.smin[:0], o.smin...)
		}
		if first || bytes.Compare(o.smax, s.smax) > 0 {
			s.smax = append(s.smax[:0], o.smax...)
		}
	case kindDecimal:
		if first || o.decMin.Less(s.decMin) {
			s.decMin = o.decMin
		}
		if first || o.decMax.Greater(s.decMax) {
			s.decMax = o.decMax
		}
	case kindTimestamp:
		if first || o.tsMin.less(s.tsMin) {
			s.tsMin = o.tsMin
		}
		if first || s.tsMax.less(o.tsMax) {
			s.tsMax = o.tsMax
		}
	case kindList, kindMap:
		if first || o.cmin < s.cmin {
			s.cmin = o.cmin
		}
		if first || o.cmax > s.cmax {
			s.cmax = o.cmax
		}
	}
}

// encode appends the ColumnStatistics message for a column of the given
// kind (and decimal scale).
func (s *colStats) encode(b []byte, kind, scale int) []byte {
	b = appendVarintField(b, 1, s.count)
	switch kind {
	case kindByte, kindShort, kindInt, kindLong:
		b = appendMessageField(b, 2, func(b []byte) []byte {
			if s.has {
				b = appendSintField(b, 1, s.imin)
				b = appendSintField(b, 2, s.imax)
			}
			if !s.sumBad {
				b = appendSintField(b, 3, s.isum)
			}
			return b
		})
	case kindFloat, kindDouble:
		b = appendMessageField(b, 3, func(b []byte) []byte {
			switch {
			case s.has:
				b = appendDoubleField(b, 1, s.dmin)
				b = appendDoubleField(b, 2, s.dmax)
			case s.dnan:
				// Only NaNs: what ORC Java writes, and readers take a NaN
				// bound (or sum) as "do not prune".
				b = appendDoubleField(b, 1, math.NaN())
				b = appendDoubleField(b, 2, math.NaN())
			}
			// A NaN sum tells readers the column holds NaNs; an infinite sum
			// from finite values is an overflow, which ORC leaves out.
			if !math.IsInf(s.dsum, 0) || s.dnan {
				b = appendDoubleField(b, 3, s.dsum)
			}
			return b
		})
	case kindString, kindChar, kindVarchar:
		b = appendMessageField(b, 4, func(b []byte) []byte {
			if s.has {
				if len(s.smin) <= maxStatString {
					b = appendBytesField(b, 1, s.smin)
				} else {
					b = appendBytesField(b, 4, lowerBound(s.smin))
				}
				if len(s.smax) <= maxStatString {
					b = appendBytesField(b, 2, s.smax)
				} else if ub, ok := upperBound(s.smax); ok {
					b = appendBytesField(b, 5, ub)
				}
			}
			return appendSintField(b, 3, s.ssum)
		})
	case kindBoolean:
		if s.count > 0 {
			// ORC stores only the true count; false = values - true.
			b = appendMessageField(b, 5, func(b []byte) []byte {
				return appendPackedField(b, 1, []uint64{s.trueCount})
			})
		}
	case kindDecimal:
		b = appendMessageField(b, 6, func(b []byte) []byte {
			if s.has {
				b = appendStringField(b, 1, s.decMin.ToString(int32(scale)))
				b = appendStringField(b, 2, s.decMax.ToString(int32(scale)))
			}
			if !s.sumBad {
				b = appendStringField(b, 3, s.decSum.ToString(int32(scale)))
			}
			return b
		})
	case kindDate:
		b = appendMessageField(b, 7, func(b []byte) []byte {
			if s.has {
				b = appendSintField(b, 1, s.imin)
				b = appendSintField(b, 2, s.imax)
			}
			return b
		})
	case kindBinary:
		b = appendMessageField(b, 8, func(b []byte) []byte { return appendSintField(b, 1, s.ssum) })
	case kindTimestamp:
		b = appendMessageField(b, 9, func(b []byte) []byte {
			if s.has {
				// The writer's time zone is UTC, so the local and UTC
				// bounds are the same milliseconds; both are written for
				// readers from before and after ORC-135.
				b = appendSintField(b, 1, s.tsMin.millis())
				b = appendSintField(b, 2, s.tsMax.millis())
				b = appendSintField(b, 3, s.tsMin.millis())
				b = appendSintField(b, 4, s.tsMax.millis())
				// Sub-millisecond nanoseconds, stored plus one.
				b = protowire.AppendTag(b, 5, protowire.VarintType)
				b = protowire.AppendVarint(b, uint64(s.tsMin.nsec%1e6+1))
				b = protowire.AppendTag(b, 6, protowire.VarintType)
				b = protowire.AppendVarint(b, uint64(s.tsMax.nsec%1e6+1))
			}
			return b
		})
	case kindList, kindMap:
		b = appendMessageField(b, 12, func(b []byte) []byte {
			if s.has {
				b = appendVarintField(b, 1, s.cmin)
				b = appendVarintField(b, 2, s.cmax)
			}
			return appendVarintField(b, 3, s.ctotal)
		})
	}
	b = protowire.AppendTag(b, 10, protowire.VarintType)
	if s.hasNull {
		return protowire.AppendVarint(b, 1)
	}
	return protowire.AppendVarint(b, 0)
}

// lowerBound truncates a long minimum to at most maxStatString bytes on a
// UTF-8 boundary; a prefix sorts before the string.
func lowerBound(v []byte) []byte {
	n := maxStatString
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}

// upperBound truncates a long maximum and increments its last character so
// that it sorts after every string with the same prefix. It reports false
// when no such bound exists (the prefix is all maximal characters).
func upperBound(v []byte) ([]byte, bool) {
	p := append([]byte(nil), lowerBound(v)...)
	for len(p) > 0 {
		r, size := utf8.DecodeLastRune(p)
		p = p[:len(p)-size]
		if r == utf8.RuneError && size <= 1 {
			// Not UTF-8: increment the byte.
			b := v[len(p)]
			if b < 0xff {
				return append(p, b+1), true
			}
			continue
		}
		next := r + 1
		if next == 0xd800 {
			next = 0xe000 // skip the surrogates
		}
		if next <= utf8.MaxRune {
			return utf8.AppendRune(p, next), true
		}
	}
	return nil, false
}
