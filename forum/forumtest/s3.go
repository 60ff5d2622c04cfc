package forumtest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/palabre/palabre/forum"
)

// S3 starts an S3-compatible server for the test (gofakes3, an S3
// implementation in Go keeping objects in memory, over real HTTP on a
// loopback port), creates a bucket on it and returns where it is. The
// server stops when the test ends.
func S3(t testing.TB) forum.S3Config {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	cfg := forum.S3Config{Endpoint: srv.URL, Bucket: "palabre-uploads", AccessKeyID: "palabre",
		SecretAccessKey: "secret-de-test", Region: "us-east-1", PathStyle: true}
	client, err := S3Client(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.MakeBucket(context.Background(), cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// S3Client is a client of the store of cfg, for tests that look into the
// bucket.
func S3Client(cfg forum.S3Config) (*minio.Client, error) {
	return minio.New(cfg.Endpoint[len("http://"):], &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
}

// WithS3 returns another handle on the test package's database (as
// Instance) whose uploads' bytes are kept in a bucket of S3, and the
// bucket's configuration.
func WithS3(t testing.TB) (*forum.DB, forum.S3Config) {
	t.Helper()
	cfg := S3(t)
	store, err := forum.NewS3BlobStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := Instance(t)
	db.SetBlobStore(store)
	return db, cfg
}
