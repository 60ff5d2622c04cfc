package forum

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// GuidelineVersion is one published version of the community guidelines.
type GuidelineVersion struct {
	Version            int       `db:"version" json:"version"`
	BodyMarkdown       string    `db:"body_markdown" json:"body_markdown"`
	BodyHTML           string    `db:"body_html" json:"html"`
	RequiresAcceptance bool      `db:"requires_acceptance" json:"requires_acceptance"`
	PublishedBy        *string   `db:"published_by" json:"published_by,omitempty"`
	PublishedAt        time.Time `db:"published_at" json:"published_at"`
}

const guidelineColumns = `g.version, g.body_markdown, g.body_html, g.requires_acceptance,
	m.username AS published_by, g.published_at`

const selectGuidelineVersion = `
SELECT ` + guidelineColumns + `
FROM guideline_versions g LEFT JOIN members m ON m.id = g.published_by
WHERE g.version = $1`

const selectCurrentGuidelines = `
SELECT ` + guidelineColumns + `
FROM guideline_versions g LEFT JOIN members m ON m.id = g.published_by
ORDER BY g.version DESC LIMIT 1`

// Guidelines returns the version in force, ENOTFOUND when none was
// published yet.
func (db *DB) Guidelines(ctx context.Context) (*GuidelineVersion, error) {
	var g GuidelineVersion
	err := db.pool.GetContext(ctx, &g, selectCurrentGuidelines)
	return &g, notFound(err, "guidelines.none", "reading the guidelines")
}

// CurrentGuidelines is Guidelines for callers to whom no guidelines yet is
// not an error (sign-up): nil, nil then.
func (db *DB) CurrentGuidelines(ctx context.Context) (*GuidelineVersion, error) {
	g, err := db.Guidelines(ctx)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	return g, err
}

// GuidelinesVersion returns one version.
func (db *DB) GuidelinesVersion(ctx context.Context, version int) (*GuidelineVersion, error) {
	var g GuidelineVersion
	err := db.pool.GetContext(ctx, &g, selectGuidelineVersion, version)
	return &g, notFound(err, "guidelines.version_not_found", "reading the guidelines")
}

const selectGuidelineVersions = `
SELECT ` + guidelineColumns + `
FROM guideline_versions g LEFT JOIN members m ON m.id = g.published_by
ORDER BY g.version DESC`

// GuidelinesHistory lists every version, newest first.
func (db *DB) GuidelinesHistory(ctx context.Context) ([]GuidelineVersion, error) {
	var out []GuidelineVersion
	err := db.pool.SelectContext(ctx, &out, selectGuidelineVersions)
	return out, Internal("listing the guidelines", err)
}

const insertGuidelineVersion = `
INSERT INTO guideline_versions (version, body_markdown, body_html, requires_acceptance, published_by)
SELECT coalesce(max(version), 0) + 1, $1, $2, $3, $4 FROM guideline_versions
RETURNING version, published_at`

// PublishGuidelinesTx stores a new version (already rendered and sanitized
// by the moderation pipeline) in tx and writes it to the moderation log.
// Admins only.
func PublishGuidelinesTx(ctx context.Context, tx *sqlx.Tx, markdown, html string, requireAcceptance bool) (*GuidelineVersion, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	// One publication at a time: versions are numbered without gaps.
	if _, err := tx.ExecContext(ctx, `LOCK TABLE guideline_versions IN EXCLUSIVE MODE`); err != nil {
		return nil, Internal("locking the guidelines", err)
	}
	g := &GuidelineVersion{BodyMarkdown: markdown, BodyHTML: html, RequiresAcceptance: requireAcceptance}
	if m := MemberFrom(ctx); m != nil {
		g.PublishedBy = &m.Username
	}
	if err := tx.QueryRowxContext(ctx, insertGuidelineVersion, markdown, html, requireAcceptance, actorID(ctx)).
		Scan(&g.Version, &g.PublishedAt); err != nil {
		return nil, Internal("publishing the guidelines", err)
	}
	// The admin who publishes a version has read it: they accept it by
	// publishing, and are not stopped by it (their live queue included).
	if m := MemberFrom(ctx); m != nil {
		if _, err := tx.ExecContext(ctx, acceptGuidelines, m.ID, g.Version); err != nil {
			return nil, Internal("accepting the guidelines", err)
		}
		m.GuidelinesVersion = &g.Version
	}
	v := int64(g.Version)
	err := LogTx(ctx, tx, LogEntry{Action: LogGuidelinesPublish, TargetType: "guidelines", TargetID: &v,
		After: map[string]any{"version": g.Version, "requires_acceptance": requireAcceptance}})
	return g, err
}

// guidelineVersions are the newest version members must have accepted
// (0: none) and the newest one (0: none), cached: the content NOTIFY
// channel empties the cache on every instance.
type guidelineVersions struct {
	Required int `db:"required"`
	Current  int `db:"current"`
}

const selectRequiredGuidelines = `
SELECT coalesce(max(version) FILTER (WHERE requires_acceptance), 0) AS required, coalesce(max(version), 0) AS current
FROM guideline_versions`

// RequiredGuidelinesVersion returns the newest version that members must
// accept before going on, 0 when none.
func (db *DB) RequiredGuidelinesVersion(ctx context.Context) (int, error) {
	required, _, err := db.guidelineVersions(ctx)
	return required, err
}

// guidelineVersions returns the version members must have accepted (0:
// none) and the newest one, from this instance's cache.
func (db *DB) guidelineVersions(ctx context.Context) (required, current int, err error) {
	v, err := db.guidelines.GetOrLoad(struct{}{}, func() (guidelineVersions, error) {
		var v guidelineVersions
		if err := db.pool.GetContext(ctx, &v, selectRequiredGuidelines); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return v, Internal("reading the guidelines", err)
		}
		return v, nil
	})
	return v.Required, v.Current, err
}

// RequireGuidelinesAccepted returns EGUIDELINES, with the version to
// accept (the newest), when the member has not accepted the version that
// requires acceptance: every way of posting asks for it.
func (db *DB) RequireGuidelinesAccepted(ctx context.Context, m *Member) error {
	required, current, err := db.guidelineVersions(ctx)
	if err != nil {
		return err
	}
	if required == 0 || (m.GuidelinesVersion != nil && *m.GuidelinesVersion >= required) {
		return nil
	}
	return Errorf(EGUIDELINES, "guidelines.accept_to_post", map[string]any{"Version": current})
}

// InvalidateGuidelines empties this instance's guidelines cache.
func (db *DB) InvalidateGuidelines() { db.guidelines.Drop() }

const acceptGuidelines = `
UPDATE members SET guidelines_version = $2 WHERE id = $1 AND coalesce(guidelines_version, 0) < $2`

// AcceptGuidelines records that the acting member accepted a version: the
// current one (ECONFLICT for an older one, which no longer says what is
// asked).
func (db *DB) AcceptGuidelines(ctx context.Context, version int) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	if _, err := db.GuidelinesVersion(ctx, version); err != nil {
		return err
	}
	var current int
	if err := db.pool.GetContext(ctx, &current, `SELECT max(version) FROM guideline_versions`); err != nil {
		return Internal("reading the guidelines", err)
	}
	if version != current {
		return Errorf(ECONFLICT, "guidelines.not_current", map[string]any{"Version": current})
	}
	if _, err := db.pool.ExecContext(ctx, acceptGuidelines, m.ID, version); err != nil {
		return Internal("accepting the guidelines", err)
	}
	m.GuidelinesVersion = &version
	return nil
}
