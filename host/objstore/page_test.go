package objstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pageKeys are keys every store can hold, chosen so that byte order and a
// sort of folder names disagree: '-' and '.' sort before '/', so "p/a-b/x"
// and "p/a.c" come before "p/a/x", and "p/b-1" before "p/b/1".
var pageKeys = []string{
	"p/a-b/x", "p/a.c", "p/a/x", "p/a/y/z", "p/a0", "p/b-1",
	"p/b/1", "p/b/2", "p/b/3/4", "p/c", "pq", "q/1",
}

// testPager is the conformance suite for ListPage (a Store's own, or the
// fallback on List): s is a Store with an empty bucket that Put may write.
func testPager(t *testing.T, s Store, bucket string) {
	t.Helper()
	ctx := t.Context()
	for _, k := range pageKeys {
		if err := s.Put(ctx, bucket, k, []byte(k), PutOptions{}); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	tests := []struct {
		name               string
		prefix, startAfter string
		maxKeys            int
		exp                []string
		expMore            bool
	}{
		{name: "everything", maxKeys: 100, exp: pageKeys},
		{name: "first page", maxKeys: 3, exp: pageKeys[:3], expMore: true},
		{name: "exactly the rest", startAfter: "p/c", maxKeys: 2, exp: []string{"pq", "q/1"}},
		{name: "folder prefix", prefix: "p/", maxKeys: 100, exp: pageKeys[:10]},
		{name: "after a key with a dash", prefix: "p/", startAfter: "p/a-b/x", maxKeys: 2, exp: []string{"p/a.c", "p/a/x"}, expMore: true},
		{name: "after a key in the middle of a folder", startAfter: "p/a/x", maxKeys: 3, exp: []string{"p/a/y/z", "p/a0", "p/b-1"}, expMore: true},
		{name: "after a folder's own prefix", startAfter: "p/a/", maxKeys: 1, exp: []string{"p/a/x"}, expMore: true},
		{name: "after a name a folder and a file start with", startAfter: "p/b", maxKeys: 2, exp: []string{"p/b-1", "p/b/1"}, expMore: true},
		{name: "partial segment prefix", prefix: "p/b", maxKeys: 100, exp: []string{"p/b-1", "p/b/1", "p/b/2", "p/b/3/4"}},
		{name: "prefix and after", prefix: "p/b/", startAfter: "p/b/2", maxKeys: 100, exp: []string{"p/b/3/4"}},
		{name: "after sorts before the prefix", prefix: "p/b/", startAfter: "a", maxKeys: 2, exp: []string{"p/b/1", "p/b/2"}, expMore: true},
		{name: "after sorts after everything", startAfter: "z", maxKeys: 10},
		{name: "after the last key under the prefix", prefix: "p/", startAfter: "p/c", maxKeys: 10},
		{name: "missing prefix", prefix: "nothing/", maxKeys: 10},
		{name: "one key", prefix: "q/1", maxKeys: 10, exp: []string{"q/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more, err := ListPage(ctx, s, bucket, tt.prefix, tt.startAfter, tt.maxKeys)
			if err != nil {
				t.Fatalf("ListPage: %v", err)
			}
			if keys := infoKeys(got); !slices.Equal(keys, tt.exp) || more != tt.expMore {
				t.Errorf("ListPage(%q, after %q, %d) = %q more %v, want %q more %v", tt.prefix, tt.startAfter, tt.maxKeys, keys, more, tt.exp, tt.expMore)
			}
			for _, o := range got {
				if o.Size != int64(len(o.Key)) || o.LastModified.IsZero() {
					t.Errorf("object %+v: want size %d and a time", o, len(o.Key))
				}
			}
		})
	}
	t.Run("pages add up to List", func(t *testing.T) {
		for _, prefix := range []string{"", "p/", "p/a"} {
			all, err := s.List(ctx, bucket, prefix)
			if err != nil {
				t.Fatal(err)
			}
			for size := 1; size <= len(all)+1; size++ {
				var keys []string
				after, calls, empty := "", 0, 0
				for {
					page, more, err := ListPage(ctx, s, bucket, prefix, after, size)
					if err != nil {
						t.Fatal(err)
					}
					calls++
					if len(page) == 0 {
						empty++
						if more {
							t.Fatalf("prefix %q, pages of %d: an empty page with more", prefix, size)
						}
					}
					if len(page) > size {
						t.Fatalf("page of %d keys, asked for %d", len(page), size)
					}
					keys = append(keys, infoKeys(page)...)
					if !more {
						break
					}
					after = page[len(page)-1].Key
				}
				if exp := infoKeys(all); !slices.Equal(keys, exp) {
					t.Fatalf("prefix %q, pages of %d: %q, want %q", prefix, size, keys, exp)
				}
				// more may be true on a page that ends at the last key (see
				// Pager): then one empty page follows.
				if exp := max(1, (len(all)+size-1)/size); calls != exp && (calls != exp+1 || empty != 1) {
					t.Errorf("prefix %q, pages of %d: %d calls (%d empty), want %d", prefix, size, calls, empty, exp)
				}
			}
		}
	})
	t.Run("maxKeys must be positive", func(t *testing.T) {
		if _, _, err := ListPage(ctx, s, bucket, "", "", 0); err == nil || !strings.Contains(err.Error(), "maxKeys 0") {
			t.Errorf("ListPage with maxKeys 0: err = %v", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := ListPage(cctx, s, bucket, "", "", 10); err == nil {
			t.Error("ListPage with a cancelled context succeeded")
		}
	})
}

func infoKeys(objs []ObjectInfo) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

// listOnly hides a store's ListPage, so that ListPage falls back to List.
type listOnly struct{ Store }

func TestLocalListPage(t *testing.T) {
	l := newLocal(t)
	testPager(t, l, "pages")
}

func TestListPageFallback(t *testing.T) {
	testPager(t, listOnly{newLocal(t)}, "pages")
}

func TestS3ListPage(t *testing.T) {
	f := newFakeS3(t)
	f.createBucket(t, "pages")
	testPager(t, f.store, "pages")
}

// TestS3ListPageRequests checks that a page of the S3 store is one
// ListObjectsV2 per 1,000 keys, with StartAfter and MaxKeys.
func TestS3ListPageRequests(t *testing.T) {
	f := newFakeS3(t)
	f.createBucket(t, "many")
	for i := range 1500 {
		if err := f.store.Put(t.Context(), "many", fmt.Sprintf("k/%05d", i), nil, PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		startAfter string
		maxKeys    int
		expFirst   string
		expLen     int
		expMore    bool
		expCalls   int
	}{
		{name: "small page", startAfter: "k/00009", maxKeys: 10, expFirst: "k/00010", expLen: 10, expMore: true, expCalls: 1},
		{name: "two requests", maxKeys: 1200, expFirst: "k/00000", expLen: 1200, expMore: true, expCalls: 2},
		{name: "the end", startAfter: "k/01494", maxKeys: 10, expFirst: "k/01495", expLen: 5, expCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.rec.forPath("/many"))
			got, more, err := f.store.ListPage(t.Context(), "many", "k/", tt.startAfter, tt.maxKeys)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.expLen || got[0].Key != tt.expFirst || more != tt.expMore {
				t.Errorf("%d keys from %s, more %v; want %d from %s, more %v", len(got), got[0].Key, more, tt.expLen, tt.expFirst, tt.expMore)
			}
			reqs := f.rec.forPath("/many")[before:]
			if len(reqs) != tt.expCalls {
				t.Errorf("%d requests, want %d", len(reqs), tt.expCalls)
			}
			if q := reqs[0].Query; tt.startAfter != "" && q.Get("start-after") != tt.startAfter {
				t.Errorf("first request %v: want start-after=%s", q, tt.startAfter)
			}
		})
	}
}

// BenchmarkLocalListPage is a page of 10 keys from the middle of 50,000
// objects laid out in hour folders of 100 (the default time prefix) and
// all in one folder (a prefix such as !{timestamp:yyyy-MM-dd}/ on a busy
// stream): the page costs the folders it walks, so the flat layout reads
// all 50,000 entries. List of the whole prefix is the comparison.
func BenchmarkLocalListPage(b *testing.B) {
	const n = 50000
	for _, layout := range []struct {
		name string
		key  func(i int) string
	}{
		{"hourly", func(i int) string { return fmt.Sprintf("d/%04d/%08d", i/100, i) }},
		{"flat", func(i int) string { return fmt.Sprintf("d/x/%08d", i) }},
	} {
		l, err := NewLocal(filepath.Join(b.TempDir(), "s3"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		for i := range n {
			p := filepath.Join(l.Dir(), "bkt", filepath.FromSlash(layout.key(i)))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(layout.name+"/ListPage", func(b *testing.B) {
			for b.Loop() {
				if page, _, err := l.ListPage(b.Context(), "bkt", "d/", layout.key(n/2), 10); err != nil || len(page) != 10 {
					b.Fatalf("ListPage = %d keys, %v", len(page), err)
				}
			}
		})
		b.Run(layout.name+"/List", func(b *testing.B) {
			for b.Loop() {
				if all, err := l.List(b.Context(), "bkt", "d/"); err != nil || len(all) != n {
					b.Fatalf("List = %d keys, %v", len(all), err)
				}
			}
		})
	}
}

// TestLocalListPageSkips checks that a page, like List, holds regular
// files only: no temporary file, no symbolic link (to a file or to a
// folder outside the root).
func TestLocalListPageSkips(t *testing.T) {
	l := newLocal(t)
	if err := l.Put(t.Context(), "b", "p/real", []byte("x"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(l.Dir(), "b", "p")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tempPrefix+"1"), []byte("t"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got, more, err := l.ListPage(t.Context(), "b", "", "", 10)
	if err != nil || more || !slices.Equal(infoKeys(got), []string{"p/real"}) {
		t.Errorf("ListPage = %q, %v, %v; want p/real only", infoKeys(got), more, err)
	}
}
