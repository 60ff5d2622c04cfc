package forum

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/jmoiron/sqlx"
)

// BlobStore keeps the bytes of uploads, by their sha256. What is known of
// an upload (type, size, owners, the posts that show it) stays in
// PostgreSQL's uploads rows whatever the store: only the bytes move.
//
// The order of writes keeps a row from ever pointing at missing bytes: the
// bytes are stored before the row's transaction commits, and removed
// after the row's removal has committed. A crash in between leaves bytes
// without a row, garbage that sweep removes, never a broken image.
type BlobStore interface {
	// reserve waits, before a transaction that will put bytes begins, for
	// the right to do so: a store over the network takes a few at once,
	// so that a store that answers slowly, or not at all, holds a few of
	// the database's connections (each put waits inside its
	// transaction), never all of them. release ends the right.
	reserve(ctx context.Context) (release func(), err error)
	// put stores the bytes of u, whose row tx has just inserted.
	put(ctx context.Context, db *DB, tx *sqlx.Tx, u *Upload, data []byte) error
	// open returns the bytes of u, to be read from any offset.
	open(ctx context.Context, db *DB, u *Upload) (Blob, error)
	// remove removes the bytes of contents whose rows were removed or
	// purged (committed), unless a row that keeps its bytes came back for
	// them meanwhile.
	remove(ctx context.Context, db *DB, shas []string) error
	// sweep removes the bytes older than age that no row keeps (left by a
	// crash between two writes), and returns how many.
	sweep(ctx context.Context, db *DB, age time.Duration) (int, error)
}

// Blob is an upload's bytes open for reading: seekable, so that ranges are
// served from them.
type Blob interface {
	io.ReadSeeker
	io.Closer
}

// SetBlobStore makes store keep the bytes of new uploads and serve all of
// them; without it they are in PostgreSQL (upload_blobs). Call it before
// serving.
func (db *DB) SetBlobStore(store BlobStore) { db.blobs = store }

// blobStore is the store of uploads' bytes: PostgreSQL unless SetBlobStore
// chose another.
func (db *DB) blobStore() BlobStore {
	if db.blobs == nil {
		return databaseBlobs{}
	}
	return db.blobs
}

// OpenUpload returns the bytes of u (which UploadBySHA checked the reader
// may see); the caller closes them.
func (db *DB) OpenUpload(ctx context.Context, u *Upload) (Blob, error) {
	return db.blobStore().open(ctx, db, u)
}

// UploadData returns the stored bytes of an upload, whole.
func (db *DB) UploadData(ctx context.Context, u *Upload) ([]byte, error) {
	b, err := db.OpenUpload(ctx, u)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	data, err := io.ReadAll(b)
	if err != nil {
		return nil, blobUnavailable("reading an upload's bytes", err, db)
	}
	return data, nil
}

// blobUnavailable is the error of a store of uploads' bytes that failed:
// logged with its cause, answered 503 (the forum still works, its files
// are out of reach for a while).
func blobUnavailable(op string, err error, db *DB) error {
	if db != nil && db.log != nil {
		db.log.Error("uploads' store failed", "op", op, "error", err)
	}
	return &Error{Code: EUNAVAILABLE, Key: "uploads.store_unavailable", Err: err}
}

// databaseBlobs keeps the bytes in PostgreSQL (upload_blobs), in the
// transaction of their row, removed with it (ON DELETE CASCADE): several
// instances share them with nothing more to run.
type databaseBlobs struct{}

func (databaseBlobs) reserve(context.Context) (func(), error) { return func() {}, nil }

func (databaseBlobs) put(ctx context.Context, _ *DB, tx *sqlx.Tx, u *Upload, data []byte) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO upload_blobs (upload_id, data) VALUES ($1, $2)`, u.ID, data); err != nil {
		return Internal("storing an upload's bytes", err)
	}
	return nil
}

func (databaseBlobs) open(ctx context.Context, db *DB, u *Upload) (Blob, error) {
	var data []byte
	err := db.GetContext(ctx, &data, `SELECT data FROM upload_blobs WHERE upload_id = $1`, u.ID)
	if err != nil {
		return nil, notFound(err, "uploads.not_found", "reading an upload's bytes")
	}
	return bytesBlob{bytes.NewReader(data)}, nil
}

func (databaseBlobs) remove(context.Context, *DB, []string) error { return nil }

func (databaseBlobs) sweep(context.Context, *DB, time.Duration) (int, error) { return 0, nil }

type bytesBlob struct{ *bytes.Reader }

func (bytesBlob) Close() error { return nil }
