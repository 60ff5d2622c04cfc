package forum

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// uploadMoveBatch is how many contents one step of MoveUploadsToStore
// lists; each is moved in a transaction of its own.
const uploadMoveBatch = 50

// MoveUploadsToStore moves the bytes still kept in PostgreSQL (stored
// before the forum moved its uploads to an object store) to the store
// SetBlobStore chose, and returns how many contents it moved; moved, if
// not nil, is told of each.
//
// Each content moves in a transaction of its own, which holds its row in
// upload_blobs: its bytes are in the store before the row goes, and the
// row goes only if the transaction commits. A server reading the file
// meanwhile finds it in one place or the other (the store's open falls
// back on PostgreSQL); a failure or an interruption leaves the rest where
// it was, and a new run goes on. A file removed meanwhile by the cleaning
// waits for the move, then is removed from the store.
func (db *DB) MoveUploadsToStore(ctx context.Context, moved func(Upload)) (int, error) {
	store := db.blobStore()
	if _, inDatabase := store.(databaseBlobs); inDatabase {
		return 0, errors.New("moving uploads: no object store is configured (PALABRE_UPLOADS_S3_*)")
	}
	total := 0
	var after int64
	for {
		var ids []int64
		if err := db.pool.SelectContext(ctx, &ids, `
SELECT upload_id FROM upload_blobs WHERE upload_id > $1 ORDER BY upload_id LIMIT $2`, after, uploadMoveBatch); err != nil {
			return total, Internal("listing the uploads kept in PostgreSQL", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		for _, id := range ids {
			var u Upload
			done := false
			release, err := store.reserve(ctx)
			if err != nil {
				return total, err
			}
			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				var row struct {
					Upload
					Data []byte `db:"data"`
				}
				err := tx.GetContext(ctx, &row, `
SELECT `+prefixColumns("u.", uploadColumns)+`, b.data FROM upload_blobs b JOIN uploads u ON u.id = b.upload_id
WHERE b.upload_id = $1 FOR UPDATE OF b`, id)
				if errors.Is(err, sql.ErrNoRows) {
					return nil // removed meanwhile
				}
				if err != nil {
					return Internal("reading an upload's bytes", err)
				}
				u = row.Upload
				if err := store.put(ctx, db, tx, &u, row.Data); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM upload_blobs WHERE upload_id = $1`, id); err != nil {
					return Internal("removing an upload's bytes from PostgreSQL", err)
				}
				done = true
				return nil
			})
			release()
			if err != nil {
				return total, err
			}
			if done {
				total++
				if moved != nil {
					moved(u)
				}
			}
			after = id
		}
	}
}
