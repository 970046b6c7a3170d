package orc

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// bloomFilter is one row group's bloom filter, built as ORC Java's
// BloomFilterUtf8 builds it so that every reader finds values where Java's
// would: a 64-bit hash per value (Murmur3 hash64 of the UTF-8 bytes for
// strings and binary, Thomas Wang's hash for anything stored as a long)
// split into two 32-bit halves combined k times (Kirsch and Mitzenmacher),
// with Java's int arithmetic.
type bloomFilter struct {
	words []uint64 // the bit set; bit i is words[i>>6] & 1<<(i&63)
	nbits int32
	k     int32
}

// newBloomFilter sizes a filter for expected values at false positive
// probability fpp, with Java's formulas: m = -n ln p / (ln 2)^2 rounded
// down, then up past the next multiple of 64; k = max(1, round(m/n ln 2)).
func newBloomFilter(expected int, fpp float64) *bloomFilter {
	n := float64(max(expected, 1))
	nb := int32(min(-n*math.Log(fpp)/(math.Ln2*math.Ln2), math.MaxInt32-64))
	m := nb + (64 - nb%64)
	k := max(1, int32(math.Floor(float64(m)/n*math.Ln2+0.5)))
	return &bloomFilter{words: make([]uint64, m/64), nbits: m, k: k}
}

// addHash sets the k bits of a 64-bit hash.
func (b *bloomFilter) addHash(h uint64) {
	h1, h2 := int32(h), int32(h>>32)
	for i := int32(1); i <= b.k; i++ {
		c := h1 + i*h2 // wraps as Java's int does
		if c < 0 {
			c = ^c
		}
		pos := c % b.nbits
		b.words[pos>>6] |= 1 << (pos & 63)
	}
}

// addLong adds an integer, date (days), boolean (0 or 1), timestamp
// (milliseconds, UTC) or, through its bits, a double.
func (b *bloomFilter) addLong(v int64) { b.addHash(uint64(longHash(v))) }

// javaNaN is the NaN Java's Double.doubleToLongBits maps every NaN to
// (Go's math.NaN has other bits).
const javaNaN = 0x7ff8000000000000

// addDouble adds a float or double by its bits, as Java's
// Double.doubleToLongBits gives them.
func (b *bloomFilter) addDouble(v float64) {
	u := math.Float64bits(v)
	if v != v {
		u = javaNaN
	}
	b.addLong(int64(u))
}

// addString adds a string's or binary's bytes.
func (b *bloomFilter) addString(s string) { b.addHash(murmur3Hash64(s)) }

// addBytes adds a binary value's bytes.
func (b *bloomFilter) addBytes(p []byte) { b.addHash(murmur3Hash64(p)) }

// reset clears the filter for the next row group.
func (b *bloomFilter) reset() { clear(b.words) }

// appendProto appends the filter's BloomFilter message body:
// numHashFunctions and utf8bitset, the words little-endian.
func (b *bloomFilter) appendProto(dst []byte) []byte {
	dst = appendVarintField(dst, 1, uint64(b.k))
	return appendMessageField(dst, 3, func(dst []byte) []byte {
		for _, w := range b.words {
			dst = binary.LittleEndian.AppendUint64(dst, w)
		}
		return dst
	})
}

// longHash is Thomas Wang's 64-bit integer hash, as ORC Java's
// BloomFilter.getLongHash (arithmetic shifts).
func longHash(key int64) int64 {
	key = ^key + key<<21
	key ^= key >> 24
	key = key + key<<3 + key<<8
	key ^= key >> 14
	key = key + key<<2 + key<<4
	key ^= key >> 28
	key += key << 31
	return key
}

// Murmur3 hash64 constants, as ORC Java's and C++'s Murmur3.
const (
	murmurC1   = 0x87c37b91114253d5
	murmurC2   = 0x4cf5ad432745937f
	murmurN1   = 0x52dce729
	murmurSeed = 104729
)

// murmur3Hash64 is ORC's Murmur3 hash64 (seed 104729): MurmurHash3's
// x64 128-bit block mixing reduced to one 64-bit lane, the function ORC
// Java and C++ use for bloom filters. The specification describes it as
// the 128-bit hash's high 8 bytes, which it is not; readers use this one.
func murmur3Hash64[T string | []byte](p T) uint64 {
	h := uint64(murmurSeed)
	n := len(p)
	for ; len(p) >= 8; p = p[8:] {
		k := uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
		k *= murmurC1
		k = bits.RotateLeft64(k, 31)
		k *= murmurC2
		h ^= k
		h = bits.RotateLeft64(h, 27)*5 + murmurN1
	}
	if len(p) > 0 {
		var k uint64
		for i := len(p) - 1; i >= 0; i-- {
			k = k<<8 | uint64(p[i])
		}
		k *= murmurC1
		k = bits.RotateLeft64(k, 31)
		k *= murmurC2
		h ^= k
	}
	h ^= uint64(n)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
