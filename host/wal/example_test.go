package wal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmhose/wasmhose/host/wal"
)

// The life of a stream's log: append, acknowledge part, restart, replay
// what is left.
func Example() {
	tmp, err := os.MkdirTemp("", "wal-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "stream-1")

	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		panic(err)
	}
	now := time.Now()
	first, err := l.Append(context.Background(), []wal.Record{
		{Data: []byte(`{"n":1}`), Arrival: now},
		{Data: []byte(`{"n":2}`), Arrival: now},
		{Data: []byte(`{"n":3}`), Arrival: now},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("first sequence number:", first)
	// The object holding records 1 and 2 is stored.
	if err := l.Ack(first, first+2); err != nil {
		panic(err)
	}
	if err := l.Close(); err != nil {
		panic(err)
	}

	// After a restart, only record 3 is delivered again.
	l, err = wal.Open(dir, wal.Options{})
	if err != nil {
		panic(err)
	}
	defer l.Remove()
	err = l.Replay(func(e wal.Entry) error {
		fmt.Printf("replay %d %s\n", e.Seq, e.Data)
		return nil
	})
	if err != nil {
		panic(err)
	}
	st := l.Stats()
	fmt.Println("unacknowledged:", st.Unacked, "next:", st.NextSeq)
	// Output:
	// first sequence number: 1
	// replay 3 {"n":3}
	// unacknowledged: 1 next: 4
}
