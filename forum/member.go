package forum

import (
	"context"
	"time"
)

// Role is what a member may do beyond posting.
type Role string

// Roles, from least to most powerful.
const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleMember || r == RoleModerator || r == RoleAdmin
}

// Trust levels in the manner of Discourse.
const (
	TrustNew     = 0
	TrustBasic   = 1
	TrustMember  = 2
	TrustRegular = 3
	TrustLeader  = 4
)

// Member is a person with an account.
type Member struct {
	ID                int64      `db:"id" json:"id"`
	Username          string     `db:"username" json:"username"`
	DisplayName       string     `db:"display_name" json:"display_name"`
	Email             string     `db:"email" json:"-"`
	EmailVerifiedAt   *time.Time `db:"email_verified_at" json:"-"`
	Role              Role       `db:"role" json:"role"`
	TrustLevel        int        `db:"trust_level" json:"trust_level"`
	Status            string     `db:"status" json:"status"`
	Locale            string     `db:"locale" json:"locale,omitempty"`
	GuidelinesVersion *int       `db:"guidelines_version" json:"-"`
	SilencedUntil     *time.Time `db:"silenced_until" json:"silenced_until,omitempty"`
	SuspendedUntil    *time.Time `db:"suspended_until" json:"suspended_until,omitempty"`
	BannedAt          *time.Time `db:"banned_at" json:"banned_at,omitempty"`
	SanctionReason    string     `db:"sanction_reason" json:"-"`
	CreatedAt         time.Time  `db:"created_at" json:"created_at"`
	LastSeenAt        *time.Time `db:"last_seen_at" json:"-"`
	// EmailConfirmationWaived: the member may post without confirming their
	// address (an admin created the account, or it predates the rule).
	EmailConfirmationWaived bool `db:"email_confirmation_waived" json:"-"`
	// UnreadNotifications is the member's unread notification count when
	// they were authenticated (read with the session or token, for the
	// header badge of every page); nil when the member was read otherwise.
	UnreadNotifications *int `db:"unread_notifications" json:"-"`
	// UnreadConversations is, read the same way, how many of the member's
	// conversations hold a message they have not read (the header's
	// Messages badge).
	UnreadConversations *int `db:"unread_conversations" json:"-"`
}

// memberColumns are the columns scanned into a Member, in every query;
// memberColumnsM the same for a query where members is aliased m.
const (
	memberColumns = `id, username, display_name, email, email_verified_at, email_confirmation_waived, role,
	trust_level, status, locale, guidelines_version, silenced_until, suspended_until, banned_at, sanction_reason,
	created_at, last_seen_at`
	memberColumnsM = `m.id, m.username, m.display_name, m.email, m.email_verified_at, m.email_confirmation_waived,
	m.role, m.trust_level, m.status, m.locale, m.guidelines_version, m.silenced_until, m.suspended_until,
	m.banned_at, m.sanction_reason, m.created_at, m.last_seen_at`
)

// memberFields are the destinations of memberColumns, in their order, for
// the authentication queries, which scan without sqlx's reflection (they run
// on every request a member makes).
func (m *Member) memberFields() []any {
	return []any{&m.ID, &m.Username, &m.DisplayName, &m.Email, &m.EmailVerifiedAt, &m.EmailConfirmationWaived,
		&m.Role, &m.TrustLevel, &m.Status, &m.Locale, &m.GuidelinesVersion, &m.SilencedUntil, &m.SuspendedUntil,
		&m.BannedAt, &m.SanctionReason, &m.CreatedAt, &m.LastSeenAt}
}

// IsBanned reports whether the member is banned for good.
func (m *Member) IsBanned() bool { return m != nil && m.BannedAt != nil }

// IsSuspended reports whether the member may not log in at now (a ban
// suspends for good).
func (m *Member) IsSuspended(now time.Time) bool {
	return m != nil && (m.BannedAt != nil || (m.SuspendedUntil != nil && now.Before(*m.SuspendedUntil)))
}

// IsSilenced reports whether the member may read but not post at now
// (suspended and banned members cannot post either).
func (m *Member) IsSilenced(now time.Time) bool {
	return m != nil && (m.IsSuspended(now) || (m.SilencedUntil != nil && now.Before(*m.SilencedUntil)))
}

// MustConfirmEmail reports whether the member has to confirm their email
// address before they post: members who signed up, until they do. Staff
// and the members whose confirmation is waived need not.
func (m *Member) MustConfirmEmail() bool {
	return m != nil && m.EmailVerifiedAt == nil && !m.EmailConfirmationWaived && !m.IsStaff()
}

// IsStaff reports whether the member moderates (moderators and admins).
func (m *Member) IsStaff() bool {
	return m != nil && (m.Role == RoleModerator || m.Role == RoleAdmin)
}

// IsAdmin reports whether the member administers the site.
func (m *Member) IsAdmin() bool { return m != nil && m.Role == RoleAdmin }

type actorKey struct{}

// Actor is who is acting: a member, the system (command line, background
// jobs), or nobody (an anonymous visitor).
type Actor struct {
	Member *Member // nil for anonymous visitors and for the system
	System bool
}

// WithMember returns a context whose actor is m (nil for anonymous).
func WithMember(ctx context.Context, m *Member) context.Context {
	return context.WithValue(ctx, actorKey{}, Actor{Member: m})
}

// WithSystem returns a context whose actor is the system itself: the command
// line and background jobs, which may do what an admin may.
func WithSystem(ctx context.Context) context.Context {
	return context.WithValue(ctx, actorKey{}, Actor{System: true})
}

// ActorFrom returns the actor of ctx; anonymous when none was set.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// MemberFrom returns the member acting in ctx, nil when anonymous or system.
func MemberFrom(ctx context.Context) *Member { return ActorFrom(ctx).Member }

// IsAdmin reports whether the actor may administer.
func (a Actor) IsAdmin() bool { return a.System || a.Member.IsAdmin() }

// IsStaff reports whether the actor may moderate.
func (a Actor) IsStaff() bool { return a.System || a.Member.IsStaff() }

// RequireAdmin returns EFORBIDDEN (or EUNAUTHORIZED for visitors) unless the
// actor of ctx administers.
func RequireAdmin(ctx context.Context) error {
	a := ActorFrom(ctx)
	switch {
	case a.IsAdmin():
		return nil
	case a.Member == nil:
		return Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	default:
		return Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
}

// RequireStaff returns EFORBIDDEN (or EUNAUTHORIZED for visitors) unless the
// actor of ctx moderates.
func RequireStaff(ctx context.Context) error {
	a := ActorFrom(ctx)
	switch {
	case a.IsStaff():
		return nil
	case a.Member == nil:
		return Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	default:
		return Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
}

// RequireMember returns EUNAUTHORIZED unless a member acts in ctx.
func RequireMember(ctx context.Context) (*Member, error) {
	m := MemberFrom(ctx)
	if m == nil {
		return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	return m, nil
}
