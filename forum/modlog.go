package forum

import (
	"context"
	"encoding/json"

	"github.com/jmoiron/sqlx"
)

// LogEntry is one line of the moderation log: who did what to what, why,
// and the state before and after. The table is append-only.
type LogEntry struct {
	Action     LogAction // one of LogActions
	TargetType string    // "post", "member", "thread", "rule", "settings"…
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
	if _, err := tx.ExecContext(ctx, insertModLog, actorID(ctx), string(e.Action), e.TargetType, e.TargetID, e.Reason, before, after); err != nil {
		return Internal("writing the moderation log", err)
	}
	return nil
}

// jsonOrNil is v as a jsonb argument: a string (jsonArg), or NULL for nil.
func jsonOrNil(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	return jsonArg(v)
}

// JSONArg is jsonArg for the other packages.
func JSONArg(v any) (string, error) { return jsonArg(v) }

// jsonArg is v encoded as a jsonb argument: a string, since []byte
// arguments go in binary format (binary_parameters, see Open), which jsonb
// reads differently.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
