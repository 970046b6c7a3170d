package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/console"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/stream"
)

// countingStore counts the listing calls made to the store it wraps and
// the keys they returned.
type countingStore struct {
	objstore.Store
	calls, keys atomic.Int64
}

func (c *countingStore) List(ctx context.Context, bucket, prefix string) ([]objstore.ObjectInfo, error) {
	out, err := c.Store.List(ctx, bucket, prefix)
	c.calls.Add(1)
	c.keys.Add(int64(len(out)))
	return out, err
}

func (c *countingStore) ListPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) ([]objstore.ObjectInfo, bool, error) {
	out, more, err := objstore.ListPage(ctx, c.Store, bucket, prefix, startAfter, maxKeys)
	c.calls.Add(1)
	c.keys.Add(int64(len(out)))
	return out, more, err
}

// reset returns the calls and keys counted so far and starts again.
func (c *countingStore) reset() (calls, keys int64) { return c.calls.Swap(0), c.keys.Swap(0) }

// fillBucket writes the objects from to from+n-1 of stream name under
// root, 100 to an hour folder as the default time prefix lays them out,
// straight to the local store's files (Put would sync each one).
func fillBucket(t testing.TB, dir, root, name string, from, n int) {
	t.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i++ {
		ts := at.Add(time.Duration(i/100) * time.Hour).Add(time.Duration(i%100) * time.Second)
		key := fmt.Sprintf("%s%s/%s-1-%s-%08d", root, ts.Format("2006/01/02/15"), name, ts.Format("2006-01-02-15-04-05"), i)
		p := filepath.Join(dir, "s3", testBucket, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// objectsPage is the console's answer to GET .../objects.
type objectsPage struct {
	Order   string `json:"order"`
	Objects []struct {
		Key          string    `json:"key"`
		Size         int64     `json:"size"`
		LastModified time.Time `json:"lastModified"`
	} `json:"objects"`
	Next *string `json:"next"`
}

// getObjects GETs the console's objects route with query.
func getObjects(t testing.TB, c *console.Console, name, query string) objectsPage {
	t.Helper()
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/console/api/streams/"+name+"/objects"+query, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET objects%s: status %d: %s", query, rec.Code, rec.Body)
	}
	var p objectsPage
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// consoleOn opens a service on e whose store counts listings, and a
// console on it.
func consoleOn(t *testing.T, e *env) (*service.Service, *console.Console, *countingStore) {
	t.Helper()
	cs := &countingStore{Store: e.local}
	svc := e.open(t, func(o *service.Options) { o.Store = cs })
	c := console.New(svc, console.Options{Interval: time.Hour})
	t.Cleanup(c.Close)
	return svc, c, cs
}

// TestConsoleObjectsAreBounded is the console's object listing on a bucket
// of 5,000 objects, as after a restart (nothing stored since): one GET
// lists the page it answers, not the bucket (before, every GET listed all
// 5,000 keys), and following next pages through every object once.
func TestConsoleObjectsAreBounded(t *testing.T) {
	e := newEnv(t)
	svc, c, cs := consoleOn(t, e)
	create(t, svc, input("clicks", func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("data/") }))
	const n, limit = 5000, 10
	fillBucket(t, e.dir, "data/", "clicks", 0, n)

	start := time.Now()
	first := getObjects(t, c, "clicks", fmt.Sprintf("?limit=%d", limit))
	took := time.Since(start)
	calls, keys := cs.reset()
	t.Logf("first page: %d list calls, %d keys listed, %v", calls, keys, took)
	if keys > limit || calls != 1 {
		t.Errorf("one GET made %d list calls for %d keys, want 1 call of at most %d", calls, keys, limit)
	}
	if first.Order != "key" || len(first.Objects) != limit || first.Next == nil || *first.Next != first.Objects[limit-1].Key {
		t.Fatalf("first page %+v, want %d objects in key order and next the last", first, limit)
	}

	// Every page after: bounded the same way, in key order, no key twice.
	seen := map[string]bool{}
	last := ""
	pages := 0
	for p := first; ; {
		pages++
		for _, o := range p.Objects {
			if o.Key <= last || seen[o.Key] || !strings.HasPrefix(o.Key, "data/") {
				t.Fatalf("page %d: key %s after %s", pages, o.Key, last)
			}
			seen[o.Key], last = true, o.Key
		}
		if p.Next == nil {
			break
		}
		p = getObjects(t, c, "clicks", "?limit=1000&after="+url.QueryEscape(*p.Next))
		if calls, keys := cs.reset(); keys > 1000 || calls > 2 {
			t.Fatalf("page %d: %d list calls for %d keys, want at most 2 for 1000", pages+1, calls, keys)
		}
	}
	if len(seen) != n || pages != 1+(n-limit+999)/1000 {
		t.Errorf("%d objects in %d pages, want %d in %d", len(seen), pages, n, 1+(n-limit+999)/1000)
	}
}

// TestConsoleObjectsInASharedPrefix: when other streams' objects fill the
// prefix root, a GET lists at most 1,000 keys and may answer fewer
// objects than asked, with a next to go on from.
func TestConsoleObjectsInASharedPrefix(t *testing.T) {
	e := newEnv(t)
	svc, c, cs := consoleOn(t, e)
	create(t, svc, input("clicks", func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("data/") }))
	fillBucket(t, e.dir, "data/", "alpha", 0, 2500)  // sorts before clicks in each hour folder
	fillBucket(t, e.dir, "data/", "clicks", 2400, 5) // the hour of alpha's last 100
	var got []string
	query := "?limit=10"
	for gets := 1; ; gets++ {
		p := getObjects(t, c, "clicks", query)
		calls, keys := cs.reset()
		if keys > 1000 || calls > 2 {
			t.Fatalf("GET %d: %d list calls for %d keys, want at most 2 for 1000", gets, calls, keys)
		}
		for _, o := range p.Objects {
			got = append(got, o.Key)
		}
		if p.Next == nil {
			if gets != 3 {
				t.Errorf("%d GETs, want 3 (2,505 keys, at most 1,000 each)", gets)
			}
			break
		}
		query = "?limit=10&after=" + url.QueryEscape(*p.Next)
	}
	if len(got) != 5 {
		t.Fatalf("clicks objects %q, want 5", got)
	}
	for _, k := range got {
		if !strings.Contains(k, "/clicks-1-") {
			t.Errorf("object %s is not one of clicks'", k)
		}
	}
}

// TestConsoleRecentObjectsFromMemory: once the stream stored objects, the
// first page is the newest of them, with no store call; next leads to
// the listing.
func TestConsoleRecentObjectsFromMemory(t *testing.T) {
	e := newEnv(t)
	svc, c, cs := consoleOn(t, e)
	create(t, svc, input("clicks", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.Prefix = stream.String("data/")
		d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(0)}
	}))
	fillBucket(t, e.dir, "data/", "clicks", 0, 5000)
	var stored []string // oldest first
	for i := range 3 {
		putLines(t, svc, "clicks", fmt.Sprint("r", i), 1)
		waitFor(t, "the object", func() bool {
			objs, err := svc.RecentObjects("clicks")
			return err == nil && len(objs) == i+1
		})
		objs, _ := svc.RecentObjects("clicks")
		stored = append(stored, objs[0].Key)
	}
	cs.reset()
	p := getObjects(t, c, "clicks", "")
	if calls, _ := cs.reset(); calls != 0 {
		t.Errorf("the recent objects took %d list calls, want none", calls)
	}
	if p.Order != "newest" || len(p.Objects) != 3 || p.Next == nil || *p.Next != "" {
		t.Fatalf("first page %+v, want the 3 stored objects, newest first, next \"\"", p)
	}
	for i, o := range p.Objects {
		if exp := stored[len(stored)-1-i]; o.Key != exp || o.Size != int64(len("r0-0000\n")) || !o.LastModified.Equal(t0) {
			t.Errorf("object %d: %+v, want %s", i, o, exp)
		}
	}
	browse := getObjects(t, c, "clicks", "?limit=10&after=")
	if calls, keys := cs.reset(); browse.Order != "key" || len(browse.Objects) != 10 || keys > 10 || calls != 1 {
		t.Errorf("the listing's first page: order %q, %d objects, %d keys in %d calls", browse.Order, len(browse.Objects), keys, calls)
	}
}

// BenchmarkConsoleObjects is one GET of the console's object listing on a
// bucket of 5,000 and 50,000 objects with nothing stored since the start
// (no recent objects): the first page, and a page in the middle of the
// listing. keys/op is the keys the store listed.
func BenchmarkConsoleObjects(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		dir := b.TempDir()
		local, err := objstore.NewLocal(filepath.Join(dir, "s3"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { local.Close() })
		cs := &countingStore{Store: local}
		svc, err := service.New(service.Options{DataDir: dir, Store: cs})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = svc.Close(ctx)
		})
		if _, err := svc.Create(context.Background(), input("clicks", func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("data/") })); err != nil {
			b.Fatal(err)
		}
		fillBucket(b, dir, "data/", "clicks", 0, n)
		c := console.New(svc, console.Options{Interval: time.Hour})
		b.Cleanup(c.Close)
		middle := getObjects(b, c, "clicks", fmt.Sprintf("?after=&limit=%d", min(n/2, 1000)))
		for _, q := range []struct{ name, query string }{
			{"first", "?limit=10"},
			{"middle", "?limit=10&after=" + url.QueryEscape(middle.Objects[len(middle.Objects)-1].Key)},
		} {
			b.Run(fmt.Sprintf("%d/%s", n, q.name), func(b *testing.B) {
				cs.reset()
				for b.Loop() {
					rec := httptest.NewRecorder()
					c.ServeHTTP(rec, httptest.NewRequest("GET", "/console/api/streams/clicks/objects"+q.query, nil))
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
				_, keys := cs.reset()
				b.ReportMetric(float64(keys)/float64(b.N), "keys/op")
			})
		}
	}
}
