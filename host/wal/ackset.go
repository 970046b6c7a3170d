package wal

import (
	"slices"
	"sort"
)

// Range is the half-open span [From, To) of sequence numbers.
type Range struct {
	From uint64 // From is the first sequence number.
	To   uint64 // To is one past the last.
}

// ackSet is the set of acknowledged sequence numbers: everything below low,
// plus the ranges above it. The ranges are sorted, disjoint and not
// adjacent, and each starts above low (a range starting at low would have
// been folded into it).
type ackSet struct {
	low   uint64
	above []Range
}

// add marks [from, to) acknowledged and reports whether the set changed.
func (s *ackSet) add(from, to uint64) bool {
	from = max(from, s.low)
	if from >= to {
		return false
	}
	// Ranges i..j-1 overlap or touch [from, to).
	i := sort.Search(len(s.above), func(i int) bool { return s.above[i].To >= from })
	j := i
	for j < len(s.above) && s.above[j].From <= to {
		j++
	}
	if i < j {
		if s.above[i].From <= from && to <= s.above[i].To {
			return false // already inside one range
		}
		from = min(from, s.above[i].From)
		to = max(to, s.above[j-1].To)
	}
	s.above = slices.Replace(s.above, i, j, Range{from, to})
	if s.above[0].From == s.low {
		s.low = s.above[0].To
		s.above = slices.Delete(s.above, 0, 1)
	}
	return true
}

// covers reports whether every sequence number in [from, to) is
// acknowledged. An empty span is covered.
func (s *ackSet) covers(from, to uint64) bool {
	from = max(from, s.low)
	if from >= to {
		return true
	}
	i := sort.Search(len(s.above), func(i int) bool { return s.above[i].To > from })
	return i < len(s.above) && s.above[i].From <= from && to <= s.above[i].To
}

// gaps returns the parts of [from, to) that are not acknowledged.
func (s *ackSet) gaps(from, to uint64) []Range {
	var out []Range
	from = max(from, s.low)
	for _, r := range s.above {
		if from >= to {
			break
		}
		if r.To <= from {
			continue
		}
		if r.From > from {
			out = append(out, Range{from, min(r.From, to)})
		}
		from = r.To
	}
	if from < to {
		out = append(out, Range{from, to})
	}
	return out
}

// countAcked returns how many sequence numbers in [from, to) are
// acknowledged.
func (s *ackSet) countAcked(from, to uint64) uint64 {
	if from >= to {
		return 0
	}
	var n uint64
	if from < s.low {
		n = min(s.low, to) - from
	}
	for _, r := range s.above {
		lo, hi := max(r.From, from), min(r.To, to)
		if lo < hi {
			n += hi - lo
		}
	}
	return n
}

// maxEnd returns one past the highest acknowledged sequence number.
func (s *ackSet) maxEnd() uint64 {
	if n := len(s.above); n > 0 {
		return s.above[n-1].To
	}
	return s.low
}

// clone returns a copy that shares nothing with s.
func (s *ackSet) clone() ackSet {
	return ackSet{low: s.low, above: slices.Clone(s.above)}
}

// ackCursor answers "is seq acknowledged?" for non-decreasing seq in
// amortised constant time.
type ackCursor struct {
	s *ackSet
	i int
}

// acked reports whether seq is acknowledged. Successive calls must not
// decrease seq.
func (c *ackCursor) acked(seq uint64) bool {
	if seq < c.s.low {
		return true
	}
	for c.i < len(c.s.above) && c.s.above[c.i].To <= seq {
		c.i++
	}
	return c.i < len(c.s.above) && c.s.above[c.i].From <= seq
}
