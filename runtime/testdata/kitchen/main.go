// Command kitchen is a Wasmhose plugin whose behaviour each record chooses,
// for the runtime's tests: record data "drop", "fail", "key:<v>", "log:<msg>",
// "panic", "loop", "maze", "oom" and "exit" select a behaviour; anything else is
// returned with the configured prefix. The config is a JSON object
// {"prefix": "…", "fail": false}; "fail": true makes init fail.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"

	wasmhose "github.com/wasmhose/wasmhose/sdk/go"
)

var (
	prefix string
	sink   [][]byte
	spin   int
)

func init() {
	wasmhose.HandleInit(func(cfg []byte) error {
		if len(cfg) == 0 {
			return nil
		}
		var c struct {
			Prefix string `json:"prefix"`
			Fail   bool   `json:"fail"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return err
		}
		if c.Fail {
			return errors.New("config asked init to fail")
		}
		prefix = c.Prefix
		return nil
	})
	wasmhose.HandleRecord(handle)
}

func handle(r wasmhose.Record) wasmhose.Result {
	d := r.Data
	switch {
	case string(d) == "drop":
		return wasmhose.Dropped()
	case string(d) == "fail":
		return wasmhose.Failed("record asked to fail")
	case bytes.HasPrefix(d, []byte("key:")):
		return wasmhose.Ok(d).WithPartitionKey("k", string(d[4:])).WithPartitionKey("arrival", itoa(r.ArrivalMillis))
	case bytes.HasPrefix(d, []byte("log:")):
		wasmhose.Log(wasmhose.LevelWarn, string(d[4:]))
		os.Stderr.WriteString("stderr:" + string(d[4:]) + "\n")
		return wasmhose.Ok(d)
	case string(d) == "panic":
		panic("record asked to panic")
	case string(d) == "loop":
		for {
			spin++
		}
	case string(d) == "maze":
		// A runaway loop with forward jumps, a nested loop and a switch
		// inside: in Go's WebAssembly every one of them is a branch to the
		// function's dispatch loop, and only the backward ones are checked.
		for i := 0; ; i++ {
			if i%7 == 3 {
				spin += i
			} else {
				spin ^= i
			}
			for j := 0; j < i%5; j++ {
				spin++
			}
			switch spin % 3 {
			case 0:
				spin += 2
			case 1:
				spin--
			}
		}
	case string(d) == "oom":
		for {
			sink = append(sink, make([]byte, 1<<20))
		}
	case string(d) == "exit":
		os.Exit(3)
	}
	return wasmhose.Ok(append([]byte(prefix), d...))
}

func itoa(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func main() {}
