package forum

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// DeletedUsername is the placeholder name of a deleted account.
func DeletedUsername(id int64) string { return fmt.Sprintf("deleted-%d", id) }

// eraseMember anonymises an account. The username key and skeleton start
// with '#', which no real name can hold: a placeholder never collides with
// a member's name, and the deleted account can no longer be looked up by
// name. The email key is the placeholder too, keeping it unique.
const eraseMember = `
UPDATE members SET status = 'deleted', deleted_at = now(),
	username = $2, username_key = '#' || $2, username_skeleton = '#' || $2,
	display_name = '', email = '', email_key = '#' || $2, email_verified_at = NULL, password_hash = '',
	bio_markdown = '', bio_html = '', locale = '', last_seen_at = NULL,
	email_on_reply = false, email_on_mention = false, email_on_quote = false,
	email_on_like = false, email_on_moderation = false, email_on_message = false
WHERE id = $1`

// personalRows are the rows about a deleted member that go with the
// account: how they logged in, when they visited, what they read and
// followed, what they were told, their picture. Likes stay, as part of the
// posts' record, and so do the images their posts show.
var personalRows = []string{
	`DELETE FROM sessions WHERE member_id = $1`,
	`DELETE FROM api_tokens WHERE member_id = $1`,
	`DELETE FROM email_tokens WHERE member_id = $1`,
	`DELETE FROM member_visits WHERE member_id = $1`,
	`DELETE FROM category_moderators WHERE member_id = $1`,
	`DELETE FROM notifications WHERE member_id = $1`,
	`DELETE FROM watches WHERE member_id = $1`,
	`DELETE FROM read_states WHERE member_id = $1`,
	// The avatar's files are cleaned with the orphan uploads.
	`DELETE FROM member_avatars WHERE member_id = $1`,
	// Their private messages stay for the others, from a former member;
	// they leave their conversations, and whom they ignored goes.
	`UPDATE conversation_participants SET left_at = coalesce(left_at, now()) WHERE member_id = $1`,
	`DELETE FROM ignored_members WHERE member_id = $1 OR ignored_id = $1`,
	`DELETE FROM message_preferences WHERE member_id = $1`,
	`DELETE FROM drafts WHERE member_id = $1`,
}

// deleteMail forgets the mail sent or waiting for an address.
const deleteMail = `DELETE FROM outbox WHERE lower(recipient) = lower($1)`

// DeleteAccount deletes the account of the member acting in ctx, who
// confirms with their password. Their posts stay, signed with a placeholder
// name; their personal data (email and the mail sent to it, password, names,
// bio, preferences, sessions, tokens, visits, reading state, watches,
// notifications, drafts) is erased. The moderation log and sanctions keep their
// rows.
func (db *DB) DeleteAccount(ctx context.Context, password string) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		hash, _, email, err := passwordHashOf(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		if err := db.checkCurrentPassword(ctx, hash, password, "password"); err != nil {
			return err
		}
		return eraseMemberTx(ctx, tx, m.ID, email)
	})
}

func eraseMemberTx(ctx context.Context, tx *sqlx.Tx, id int64, email string) error {
	if _, err := tx.ExecContext(ctx, eraseMember, id, DeletedUsername(id)); err != nil {
		return Internal("erasing an account", err)
	}
	if _, err := tx.ExecContext(ctx, deleteMail, email); err != nil {
		return Internal("erasing an account", err)
	}
	for _, q := range personalRows {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return Internal("erasing an account", err)
		}
	}
	return LogTx(ctx, tx, LogEntry{Action: LogMemberDelete, TargetType: "member", TargetID: &id})
}
