package moderation

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

const ruleColumns = `id, name, description, kind, patterns, exceptions, params, action, enabled,
	created_at, created_by, updated_at, updated_by`

const selectRules = `SELECT ` + ruleColumns + ` FROM rules ORDER BY lower(name), id`

const selectEnabledRules = `SELECT ` + ruleColumns + ` FROM rules WHERE enabled ORDER BY id`

// loadRules reads the rules, or only the enabled ones.
func (p *Pipeline) loadRules(ctx context.Context, enabledOnly bool) ([]*Rule, error) {
	q := selectRules
	if enabledOnly {
		q = selectEnabledRules
	}
	var rules []*Rule
	if err := p.db.SelectContext(ctx, &rules, q); err != nil {
		return nil, forum.Internal("reading the rules", err)
	}
	return rules, nil
}

// ListRules returns every rule, enabled or not, with its watched words
// (admins only).
func (p *Pipeline) ListRules(ctx context.Context) ([]*Rule, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	return p.loadRules(ctx, false)
}

// PublicRule is what anyone may know of a rule: its name and description
// (not its watched words, which would teach how to get round them). Members
// pick one when they report a post.
type PublicRule struct {
	ID          int64  `db:"id" json:"id"`
	Name        string `db:"name" json:"name"`
	Description string `db:"description" json:"description"`
}

// PublicRules returns the enabled rules, by name.
func (p *Pipeline) PublicRules(ctx context.Context) ([]PublicRule, error) {
	var out []PublicRule
	err := p.db.SelectContext(ctx, &out, `SELECT id, name, description FROM rules WHERE enabled ORDER BY lower(name), id`)
	return out, forum.Internal("reading the rules", err)
}

// RuleByID returns one rule (admins only).
func (p *Pipeline) RuleByID(ctx context.Context, id int64) (*Rule, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var r Rule
	err := p.db.GetContext(ctx, &r, `SELECT `+ruleColumns+` FROM rules WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, forum.Errorf(forum.ENOTFOUND, "rules.not_found", nil)
	}
	return &r, forum.Internal("reading a rule", err)
}

const insertRule = `
INSERT INTO rules (name, description, kind, patterns, params, action, enabled, created_by, updated_by, exceptions)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
RETURNING ` + ruleColumns

// CreateRule adds a rule (admins only). It is logged, and every instance
// applies it within a second.
func (p *Pipeline) CreateRule(ctx context.Context, in RuleInput) (*Rule, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	r, err := in.normalize()
	if err != nil {
		return nil, err
	}
	var out Rule
	err = p.changeRules(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, insertRule, r.Name, r.Description, r.Kind, r.Patterns, r.Params, r.Action, r.Enabled, actorID(ctx), r.Exceptions)
		if err != nil {
			return ruleWriteError(err, "creating a rule")
		}
		return forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleCreate, TargetType: "rule", TargetID: &out.ID, After: &out})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

const updateRule = `
UPDATE rules SET name = $2, description = $3, kind = $4, patterns = $5, params = $6, action = $7,
	enabled = $8, updated_at = now(), updated_by = $9, exceptions = $10
WHERE id = $1
RETURNING ` + ruleColumns

// UpdateRule replaces a rule (admins only), logged with before and after.
func (p *Pipeline) UpdateRule(ctx context.Context, id int64, in RuleInput) (*Rule, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	r, err := in.normalize()
	if err != nil {
		return nil, err
	}
	var out Rule
	err = p.changeRules(ctx, func(tx *sqlx.Tx) error {
		before, err := ruleForUpdateTx(ctx, tx, id)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &out, updateRule, id, r.Name, r.Description, r.Kind, r.Patterns, r.Params, r.Action, r.Enabled, actorID(ctx), r.Exceptions)
		if err != nil {
			return ruleWriteError(err, "updating a rule")
		}
		return forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleUpdate, TargetType: "rule", TargetID: &id, Before: before, After: &out})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRule removes a rule (admins only); the log keeps what it was.
func (p *Pipeline) DeleteRule(ctx context.Context, id int64) error {
	if err := forum.RequireAdmin(ctx); err != nil {
		return err
	}
	return p.changeRules(ctx, func(tx *sqlx.Tx) error {
		before, err := ruleForUpdateTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rules WHERE id = $1`, id); err != nil {
			return forum.Internal("deleting a rule", err)
		}
		return forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleDelete, TargetType: "rule", TargetID: &id, Before: before})
	})
}

// changeRules runs fn in a transaction that then tells every instance,
// and rebuilds this pipeline's rules once committed.
func (p *Pipeline) changeRules(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	err := p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, ChannelRules); err != nil {
			return forum.Internal("notifying a rule change", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.rulesUpdatedHere(ctx)
	return nil
}

func ruleForUpdateTx(ctx context.Context, tx *sqlx.Tx, id int64) (*Rule, error) {
	var r Rule
	err := tx.GetContext(ctx, &r, `SELECT `+ruleColumns+` FROM rules WHERE id = $1 FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, forum.Errorf(forum.ENOTFOUND, "rules.not_found", nil)
	}
	if err != nil {
		return nil, forum.Internal("reading a rule", err)
	}
	return &r, nil
}

// ruleWriteError turns a clash on the unique name into a form error.
func ruleWriteError(err error, op string) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return forum.Errorf(forum.ECONFLICT, "rules.name_taken", nil).OnField("name")
	}
	return forum.Internal(op, err)
}

// actorID is the id of the member acting in ctx, nil for the system.
func actorID(ctx context.Context) *int64 {
	if m := forum.MemberFrom(ctx); m != nil {
		return &m.ID
	}
	return nil
}
