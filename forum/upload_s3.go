package forum

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config is where an S3-compatible object store keeps uploads' bytes
// (PALABRE_UPLOADS_S3_*).
type S3Config struct {
	// Endpoint is the store's URL: https://s3.eu-west-3.amazonaws.com,
	// http://127.0.0.1:9000 (http only for a store on a private network).
	Endpoint        string
	Bucket          string
	AccessKeyID     string
	SecretAccessKey string
	Region          string // "" lets the client ask the store
	// PathStyle addresses the bucket in the path (endpoint/bucket/key), as
	// most self-hosted stores (MinIO, Garage, SeaweedFS) expect; otherwise
	// the client chooses (bucket.endpoint/key for Amazon S3).
	PathStyle bool
}

// s3Blobs keeps uploads' bytes in a bucket, one object per content named by
// its sha256: the same content is stored once, as in PostgreSQL.
type s3Blobs struct {
	client *minio.Client
	bucket string
	puts   chan struct{} // the puts under way (reserve)
}

// s3PutsAtOnce is how many transactions may wait on the object store at
// once, each holding one of the database's connections (16 by default).
const s3PutsAtOnce = 4

func (s *s3Blobs) reserve(ctx context.Context) (func(), error) {
	select {
	case s.puts <- struct{}{}:
		return func() { <-s.puts }, nil
	default:
	}
	// Waiting for the store is not work: the request's turn goes to
	// another (server/admission.go).
	YieldTurn(ctx)
	select {
	case s.puts <- struct{}{}:
		return func() { <-s.puts }, nil
	case <-ctx.Done():
		return nil, blobUnavailable("waiting to store an upload's bytes", ctx.Err(), nil)
	}
}

// NewS3BlobStore connects to the bucket of cfg (forum.DB.SetBlobStore). A
// bucket the store says does not exist, or refused credentials, are
// errors; a store that does not answer is not (the forum serves, and its
// uploads answer 503 until the store is back).
func NewS3BlobStore(ctx context.Context, cfg S3Config) (BlobStore, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("uploads' S3 endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	opts := &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure: u.Scheme == "https",
		Region: cfg.Region,
		// A request waits for a few attempts, not the client's ten.
		MaxRetries: 3,
	}
	if cfg.PathStyle {
		opts.BucketLookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, opts)
	if err != nil {
		return nil, fmt.Errorf("uploads' S3 store: %w", err)
	}
	check, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	exists, err := client.BucketExists(check, cfg.Bucket)
	switch code := minio.ToErrorResponse(err).Code; {
	case err == nil && !exists:
		return nil, fmt.Errorf("uploads' S3 store: no bucket %q at %s", cfg.Bucket, cfg.Endpoint)
	case code == minio.AccessDenied || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return nil, fmt.Errorf("uploads' S3 store: bucket %q: %w", cfg.Bucket, err)
	}
	return &s3Blobs{client: client, bucket: cfg.Bucket, puts: make(chan struct{}, s3PutsAtOnce)}, nil
}

// lockContent serialises, for one content, the storing of its bytes and
// their removal: a removal that found no row cannot delete the object that
// an upload of the same content is about to commit a row for.
func lockContent(ctx context.Context, tx *sqlx.Tx, sha string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('palabre.upload_blob:' || $1, 0))`, sha)
	return Internal("locking an upload's content", err)
}

func (s *s3Blobs) put(ctx context.Context, db *DB, tx *sqlx.Tx, u *Upload, data []byte) error {
	if err := lockContent(ctx, tx, u.SHA256); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, u.SHA256, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: u.ContentType})
	if err != nil {
		return blobUnavailable("storing an upload's bytes", err, db)
	}
	return nil
}

func (s *s3Blobs) open(ctx context.Context, db *DB, u *Upload) (Blob, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, u.SHA256, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err == nil {
		return obj, nil
	}
	if obj != nil {
		_ = obj.Close()
	}
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		// Stored before the forum moved its uploads to the bucket: still
		// in PostgreSQL.
		b, dbErr := databaseBlobs{}.open(ctx, db, u)
		if dbErr != nil && db.log != nil {
			db.log.Error("an upload's bytes are missing", "sha256", u.SHA256, "bucket", s.bucket)
		}
		return b, dbErr
	}
	return nil, blobUnavailable("reading an upload's bytes", err, db)
}

func (s *s3Blobs) remove(ctx context.Context, db *DB, shas []string) error {
	for _, sha := range shas {
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			if err := lockContent(ctx, tx, sha); err != nil {
				return err
			}
			var back bool
			if err := tx.GetContext(ctx, &back, `SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = $1 AND purged_at IS NULL)`, sha); err != nil {
				return Internal("looking for an upload", err)
			}
			if back {
				return nil
			}
			if err := s.client.RemoveObject(ctx, s.bucket, sha, minio.RemoveObjectOptions{}); err != nil {
				return blobUnavailable("removing an upload's bytes", err, db)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *s3Blobs) sweep(ctx context.Context, db *DB, age time.Duration) (int, error) {
	before := time.Now().Add(-age)
	removed := 0
	var batch []string
	flush := func() error {
		var kept pq.StringArray
		if err := db.SelectContext(ctx, &kept, `SELECT sha256 FROM uploads WHERE sha256 = ANY($1) AND purged_at IS NULL`, pq.StringArray(batch)); err != nil {
			return Internal("looking for uploads", err)
		}
		var gone []string
		for _, sha := range batch {
			if !slices.Contains(kept, sha) {
				gone = append(gone, sha)
			}
		}
		batch = batch[:0]
		removed += len(gone)
		return s.remove(ctx, db, gone)
	}
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return removed, blobUnavailable("listing the uploads' bytes", obj.Err, db)
		}
		if !obj.LastModified.Before(before) || !isContentKey(obj.Key) {
			continue
		}
		if batch = append(batch, obj.Key); len(batch) == 100 {
			if err := flush(); err != nil {
				return removed, err
			}
		}
	}
	if len(batch) == 0 {
		return removed, nil
	}
	return removed, flush()
}

// isContentKey reports whether an object's key is a content's sha256 (the
// bucket may hold other things, which are left alone).
func isContentKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for _, r := range key {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
