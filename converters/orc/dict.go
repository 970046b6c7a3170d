package orc

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// dictEntry is one distinct value of a dictionary: where its bytes are in
// the arena, and the low 32 bits of its hash.
type dictEntry struct {
	chunk, off, n, hash uint32
}

// dictEntryBytes is what an entry costs in memory: the entry and about
// two hash table slots.
const dictEntryBytes = 16 + 2*4

// dictionary collects a string column's values for one stripe while
// dictionary encoding is still a candidate: each distinct value once, in
// order of first appearance, and the id (that order) of every value
// written. The hash table is open addressing with linear probing over
// entry ids, so it costs a few bytes per distinct value and no allocation
// per value; the values' bytes are held in an arena of chunks.
type dictionary struct {
	pool    *chunkPool
	seed    maphash.Seed
	arena   [][]byte // value bytes; a value never straddles two chunks
	bytes   int      // value bytes held
	entries []dictEntry
	slots   []uint32  // entry id + 1; 0 is an empty slot
	ids     chunkList // one little-endian uint32 id per value written
}

func newDictionary(pool *chunkPool) *dictionary {
	return &dictionary{pool: pool, seed: maphash.MakeSeed(), ids: chunkList{pool: pool}}
}

// count is the number of values written.
func (d *dictionary) count() int { return d.ids.n / 4 }

// distinct is the number of distinct values.
func (d *dictionary) distinct() int { return len(d.entries) }

// memory is the number of bytes the distinct values take, table included;
// the ids are ids.n more.
func (d *dictionary) memory() int { return d.bytes + len(d.entries)*dictEntryBytes }

// value returns entry id's bytes.
func (d *dictionary) value(id uint32) []byte {
	e := &d.entries[id]
	return d.arena[e.chunk][e.off : e.off+e.n]
}

// add records one value.
func (d *dictionary) add(v string) {
	if 4*len(d.entries) >= 3*len(d.slots) {
		d.grow()
	}
	h := uint32(maphash.String(d.seed, v))
	mask := uint32(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := d.slots[i]
		if s == 0 {
			id := uint32(len(d.entries))
			chunk, off := d.store(v)
			d.entries = append(d.entries, dictEntry{chunk: chunk, off: off, n: uint32(len(v)), hash: h})
			d.slots[i] = id + 1
			d.putID(id)
			return
		}
		if e := &d.entries[s-1]; e.hash == h && string(d.value(s-1)) == v {
			d.putID(s - 1)
			return
		}
	}
}

// grow doubles the hash table and reinserts every entry by its stored hash.
func (d *dictionary) grow() {
	n := max(1024, 2*len(d.slots))
	d.slots = make([]uint32, n)
	mask := uint32(n - 1)
	for id := range d.entries {
		i := d.entries[id].hash & mask
		for d.slots[i] != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = uint32(id) + 1
	}
}

// store copies v into the arena. The last chunk grows by appending; a value
// that does not fit in it starts a new chunk (of its own size if it is
// larger than a chunk). Entries locate values by chunk and offset, so a
// chunk may move as it grows.
func (d *dictionary) store(v string) (chunk, off uint32) {
	k := len(d.arena) - 1
	if k < 0 || len(d.arena[k])+len(v) > chunkSize {
		c := []byte(nil)
		if len(v) > chunkSize {
			c = make([]byte, 0, len(v))
		} else if k >= 0 {
			c = d.pool.get()
		}
		d.arena = append(d.arena, c)
		k++
	}
	off = uint32(len(d.arena[k]))
	d.arena[k] = append(d.arena[k], v...)
	d.bytes += len(v)
	return uint32(k), off
}

func (d *dictionary) putID(id uint32) {
	l := &d.ids
	if k := len(l.chunks) - 1; k >= 0 && len(l.chunks[k]) <= chunkSize-4 {
		// The common case, kept short: the last chunk has room (ids never
		// straddle chunks, chunkSize being a multiple of 4).
		l.chunks[k] = binary.LittleEndian.AppendUint32(l.chunks[k], id)
		l.n += 4
		return
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], id)
	l.write(b[:])
}

// eachID calls fn with every id written, in order.
func (d *dictionary) eachID(fn func(id uint32)) {
	for _, c := range d.ids.chunks {
		for k := 0; k+4 <= len(c); k += 4 {
			fn(binary.LittleEndian.Uint32(c[k:]))
		}
	}
}

// sorted returns the entry ids in the byte order of their values (the
// order of an ORC dictionary) and, for each entry id, its rank in it.
func (d *dictionary) sorted() (order, rank []uint32) {
	order = make([]uint32, len(d.entries))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return bytes.Compare(d.value(a), d.value(b)) })
	rank = make([]uint32, len(order))
	for r, id := range order {
		rank[id] = uint32(r)
	}
	return order, rank
}

// reset empties the dictionary for the next stripe. Full chunks go back to
// the pool; a large hash table is dropped rather than kept and cleared.
func (d *dictionary) reset() {
	for _, c := range d.arena {
		d.pool.put(c)
	}
	clear(d.arena)
	d.arena = d.arena[:0]
	d.bytes = 0
	d.entries = d.entries[:0]
	if len(d.slots) > 1<<16 {
		d.slots, d.entries = nil, nil
	} else {
		clear(d.slots)
	}
	d.ids.reset()
}
