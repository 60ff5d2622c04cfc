package forum

import "context"

// LatestServedFromSnapshot reports whether the first page of limit latest
// threads is served from a snapshot for the actor of ctx.
func (db *DB) LatestServedFromSnapshot(ctx context.Context, limit int) (bool, error) {
	_, _, ok, err := db.latestFromSnapshot(ctx, limit, true)
	return ok, err
}
