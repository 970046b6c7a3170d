package objstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/wasmhose/wasmhose/host/objstore"
)

func ExampleBucketFromARN() {
	bucket, err := objstore.BucketFromARN("arn:aws:s3:::my-delivery-bucket")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bucket)
	// Output: my-delivery-bucket
}

func ExampleNewLocal() {
	dataDir, err := os.MkdirTemp("", "wasmhose-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dataDir)

	store, err := objstore.NewLocal(filepath.Join(dataDir, "s3"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	for _, key := range []string{"2026/07/13/14/stream-1-b", "2026/07/13/14/stream-1-a"} {
		if err := store.Put(ctx, "my-bucket", key, []byte("abc"), objstore.PutOptions{}); err != nil {
			log.Fatal(err)
		}
	}
	infos, err := store.List(ctx, "my-bucket", "2026/07/13/")
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range infos {
		fmt.Println(in.Key, in.Size)
	}
	_, err = store.Get(ctx, "my-bucket", "missing")
	fmt.Println(errors.Is(err, objstore.ErrNotFound), objstore.ErrorCode(err))
	// Output:
	// 2026/07/13/14/stream-1-a 3
	// 2026/07/13/14/stream-1-b 3
	// true S3.NoSuchKey
}
