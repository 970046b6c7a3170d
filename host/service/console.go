package service

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/objstore"
)

// objectScanBudget is the most keys one Objects call lists when the
// stream's objects share the prefix root with others': one S3
// ListObjectsV2 response. A stream that owns its prefix root lists just
// the page it answers.
const objectScanBudget = 1000

// Objects returns one page of a stream's objects in key order: at most
// limit (limit > 0) of the objects after the key after, and next, the key
// to pass as after for the following page ("" when the listing is over).
// The stream may be in any state.
//
// It lists the stream's bucket under the prefix root, the part of Prefix
// before its first !{ expression, and keeps the objects whose name (the
// last segment of the key) starts with "<stream>-", as Firehose object
// names do.
//
// # Notes
//
// Its work is bounded whatever the bucket holds: it lists limit keys and,
// while fewer than limit of them are the stream's, more up to 1,000 keys
// (one S3 response) in all. A page may then hold fewer than limit objects,
// or none, with a next to go on from. The store lists a page in one call
// when it is an objstore.Pager (the local store, S3, crypt.Store); any
// other store is listed whole (see objstore.ListPage).
func (svc *Service) Objects(ctx context.Context, name, after string, limit int) (objs []objstore.ObjectInfo, next string, err error) {
	if limit <= 0 {
		return nil, "", fmt.Errorf("objects of %s: limit %d: want at least 1", name, limit)
	}
	bucket, root, err := svc.objectsRoot(name)
	if err != nil {
		return nil, "", err
	}
	mine := func(o objstore.ObjectInfo) bool { return strings.HasPrefix(path.Base(o.Key), name+"-") }
	scanned, size := 0, limit
	for {
		page, more, err := objstore.ListPage(ctx, svc.opts.Store, bucket, root, after, size)
		if err != nil {
			return nil, "", fmt.Errorf("objects of %s: %w", name, err)
		}
		scanned += len(page)
		for i, o := range page {
			after = o.Key
			if !mine(o) {
				continue
			}
			objs = append(objs, o)
			if len(objs) == limit {
				if i == len(page)-1 && !more {
					return objs, "", nil
				}
				return objs, o.Key, nil
			}
		}
		if !more || len(page) == 0 {
			return objs, "", nil
		}
		if scanned >= objectScanBudget {
			return objs, after, nil
		}
		size = objectScanBudget - scanned
	}
}

// objectsRoot returns the bucket and prefix root of a stream's objects.
func (svc *Service) objectsRoot(name string) (bucket, root string, err error) {
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
		return "", "", svc.notFound(name)
	}
	bucket, err = objstore.BucketFromARN(bucketARN)
	if err != nil {
		return "", "", fmt.Errorf("objects of %s: %w", name, err)
	}
	root, _, _ = strings.Cut(prefix, "!{")
	return bucket, root, nil
}

// RecentObjects returns the latest objects an ACTIVE stream stored (data
// and error output, in any bucket), newest first, from memory: no store
// call. A stream's pipeline starts with none (see
// deliver.Pipeline.RecentObjects), so after a restart it is empty until
// the next delivery.
func (svc *Service) RecentObjects(name string) ([]deliver.StoredObject, error) {
	p, _, err := svc.pipeline(name)
	if err != nil {
		return nil, err
	}
	return p.RecentObjects(), nil
}
