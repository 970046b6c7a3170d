package service

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wasmhose/wasmhose/host/objstore"
)

// Objects returns the latest objects a stream delivered, newest first (by
// LastModified, then by key), at most limit of them (all when limit <= 0).
//
// It lists the stream's bucket under the prefix root, the part of Prefix
// before its first !{ expression, and keeps the objects whose name (the
// last segment of the key) starts with "<stream>-", as Firehose object
// names do. The stream may be in any state.
//
// # Notes
//
// The object store lists a whole prefix at once, so the cost grows with the
// number of objects under the prefix root: callers should poll it sparingly.
func (svc *Service) Objects(ctx context.Context, name string, limit int) ([]objstore.ObjectInfo, error) {
	svc.mu.Lock()
	e, ok := svc.streams[name]
	var bucketARN, prefix string
	if ok {
		bucketARN = e.s.Destination.BucketARN
		if p := e.s.Destination.Prefix; p != nil {
			prefix = *p
		}
	}
	svc.mu.Unlock()
	if !ok {
		return nil, svc.notFound(name)
	}
	bucket, err := objstore.BucketFromARN(bucketARN)
	if err != nil {
		return nil, fmt.Errorf("objects of %s: %w", name, err)
	}
	root, _, _ := strings.Cut(prefix, "!{")
	all, err := svc.opts.Store.List(ctx, bucket, root)
	if err != nil {
		return nil, fmt.Errorf("objects of %s: %w", name, err)
	}
	mine := all[:0]
	for _, o := range all {
		if strings.HasPrefix(path.Base(o.Key), name+"-") {
			mine = append(mine, o)
		}
	}
	slices.SortFunc(mine, func(a, b objstore.ObjectInfo) int {
		if c := b.LastModified.Compare(a.LastModified); c != 0 {
			return c
		}
		return cmp.Compare(b.Key, a.Key)
	})
	if limit > 0 && len(mine) > limit {
		mine = mine[:limit:limit]
	}
	return mine, nil
}
