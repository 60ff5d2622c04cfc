package forum

import (
	"context"
	"encoding/json"

	"github.com/jmoiron/sqlx"
)

// LogEntry is one line of the moderation log: who did what to what, why,
// and the state before and after. The table is append-only.
type LogEntry struct {
	Action     string // e.g. "post.hide", "member.silence", "settings.update"
	TargetType string // "post", "member", "thread", "rule", "settings"…
	TargetID   *int64
	Reason     string
	Before     any // marshalled to JSON; nil for none
	After      any
}

const insertModLog = `
INSERT INTO mod_log (actor_id, action, target_type, target_id, reason, before, after)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

// LogTx writes e to the moderation log in tx, with the actor of ctx (none
// for the system).
func LogTx(ctx context.Context, tx *sqlx.Tx, e LogEntry) error {
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return Internal("encoding a log entry", err)
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return Internal("encoding a log entry", err)
	}
	if _, err := tx.ExecContext(ctx, insertModLog, actorID(ctx), e.Action, e.TargetType, e.TargetID, e.Reason, before, after); err != nil {
		return Internal("writing the moderation log", err)
	}
	return nil
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}
