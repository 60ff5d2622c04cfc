package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ProfileRecentPosts is how many posts a profile lists.
const ProfileRecentPosts = 20

const selectPublicMember = `
SELECT id, username, display_name, role, trust_level, bio_html, created_at,
	(SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
	 WHERE p.author_id = members.id AND p.status = 'published' AND t.status = 'published') AS post_count
FROM members WHERE username_key = $1 AND status = 'active'`

const selectProfilePosts = `
SELECT p.id, p.thread_id, t.title AS thread_title, t.slug AS thread_slug, c.slug AS category_slug,
	c.name AS category_name, p.number, p.body_html, p.created_at
FROM posts p
JOIN threads t ON t.id = p.thread_id
JOIN categories c ON c.id = t.category_id
WHERE p.author_id = $1 AND p.status = 'published' AND t.status = 'published'
ORDER BY p.created_at DESC, p.id DESC
LIMIT $2`

// ProfileByUsername returns a member's public profile with their latest
// published posts; ENOTFOUND for unknown, deleted or not yet approved
// members.
func (db *DB) ProfileByUsername(ctx context.Context, name string) (*Profile, error) {
	key, err := NormalizeUsername(name)
	if err != nil {
		return nil, Errorf(ENOTFOUND, "member.not_found", nil)
	}
	var p *Profile
	var found bool
	err = db.readPage(ctx, func(q *sqlx.DB) error {
		p, found = &Profile{RecentPosts: []ProfilePost{}}, false
		if err := q.GetContext(ctx, &p.Member, selectPublicMember, key); err != nil {
			return err
		}
		found = true
		return q.SelectContext(ctx, &p.RecentPosts, selectProfilePosts, p.Member.ID, ProfileRecentPosts)
	})
	switch {
	case !found:
		return nil, notFound(err, "member.not_found", "reading a profile")
	case err != nil:
		return nil, Internal("listing a member's posts", err)
	}
	return p, nil
}

const selectAccountSettings = `
SELECT display_name, bio_markdown, locale, email_on_reply, email_on_mention, email_on_quote,
	email_on_like, email_on_moderation, email_digest, email_bounced_at IS NOT NULL AS email_bounced
FROM members WHERE id = $1 AND status <> 'deleted'`

// AccountSettings returns the settings of the member acting in ctx.
func (db *DB) AccountSettings(ctx context.Context) (*AccountSettings, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var row struct {
		AccountSettings
		NotificationPrefs
	}
	if err := db.pool.GetContext(ctx, &row, selectAccountSettings, m.ID); err != nil {
		return nil, notFound(err, "member.not_found", "reading account settings")
	}
	s := row.AccountSettings
	s.Notifications = row.NotificationPrefs
	return &s, nil
}

const updateProfile = `
UPDATE members SET
	display_name = coalesce($2, display_name),
	bio_markdown = coalesce($3, bio_markdown),
	bio_html = coalesce($4, bio_html),
	locale = coalesce($5, locale),
	email_on_reply = coalesce($6, email_on_reply),
	email_on_mention = coalesce($7, email_on_mention),
	email_on_quote = coalesce($8, email_on_quote),
	email_on_like = coalesce($9, email_on_like),
	email_on_moderation = coalesce($10, email_on_moderation),
	-- A digest chosen now starts its first period now.
	digest_sent_at = CASE WHEN coalesce($11, email_digest) <> email_digest THEN now() ELSE digest_sent_at END,
	email_digest = coalesce($11, email_digest)
WHERE id = $1 AND status <> 'deleted'`

// UpdateProfile changes the account settings of the member acting in ctx
// and returns them as stored.
func (db *DB) UpdateProfile(ctx context.Context, u ProfileUpdate) (*AccountSettings, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var n [5]*bool
	var digest *string
	if p := u.Notifications; p != nil {
		n = [5]*bool{&p.Replies, &p.Mentions, &p.Quotes, &p.Likes, &p.Moderation}
		if p.Digest != "" {
			digest = &p.Digest
		}
	}
	_, err = db.pool.ExecContext(ctx, updateProfile, m.ID, u.DisplayName, u.BioMarkdown, u.BioHTML, u.Locale,
		n[0], n[1], n[2], n[3], n[4], digest)
	if err != nil {
		return nil, Internal("updating a profile", err)
	}
	if u.Locale != nil {
		m.Locale = *u.Locale
	}
	if u.DisplayName != nil {
		m.DisplayName = *u.DisplayName
	}
	return db.AccountSettings(ctx)
}

// passwordHashOf reads a member's password hash, locking the row in tx.
func passwordHashOf(ctx context.Context, tx *sqlx.Tx, memberID int64) (hash, username, email string, err error) {
	var row struct {
		Hash     string `db:"password_hash"`
		Username string `db:"username"`
		Email    string `db:"email"`
	}
	err = tx.GetContext(ctx, &row, `SELECT password_hash, username, email FROM members WHERE id = $1 AND status <> 'deleted' FOR UPDATE`, memberID)
	if err != nil {
		return "", "", "", notFound(err, "member.not_found", "reading a password")
	}
	return row.Hash, row.Username, row.Email, nil
}

// checkCurrentPassword verifies the password the member typed to confirm a
// sensitive change; field names the form field.
func (db *DB) checkCurrentPassword(ctx context.Context, hash, typed, field string) error {
	if typed == "" {
		return Errorf(EINVALID, "account_settings.password_required", nil).OnField(field)
	}
	ok, _, err := db.verifyPassword(ctx, hash, typed)
	if err != nil {
		return Internal("verifying a password", err)
	}
	if !ok {
		return Errorf(EINVALID, "account_settings.password_wrong", nil).OnField(field)
	}
	return nil
}

// ChangePassword replaces the password of the member acting in ctx, who
// confirms it with the current one. The new one follows the same rules as
// at sign-up.
func (db *DB) ChangePassword(ctx context.Context, current, next, keepSession string) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		hash, username, email, err := passwordHashOf(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		if err := db.checkCurrentPassword(ctx, hash, current, "current_password"); err != nil {
			return err
		}
		if err := CheckPassword(next, username, email); err != nil {
			if fe := AsError(err); fe.Field != "" {
				return fe.OnField("new_password")
			}
			return err
		}
		newHash, err := db.hashPassword(ctx, next)
		if err != nil {
			return Internal("hashing a password", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET password_hash = $2 WHERE id = $1`, m.ID, newHash); err != nil {
			return Internal("changing a password", err)
		}
		// Whoever knew the old password is logged out everywhere but here.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2`, m.ID, HashToken(keepSession)); err != nil {
			return Internal("closing the other sessions", err)
		}
		return nil
	})
}
