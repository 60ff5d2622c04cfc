package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// apiAdminMember is a member as admins see them through the API.
// EmailConfirmationWaived: the member posts without confirming their
// address (created by an admin, or allowed to by one).
type apiAdminMember struct {
	forum.Member
	Email                   string     `json:"email"`
	EmailConfirmedAt        *time.Time `json:"email_confirmed_at"`
	EmailConfirmationWaived bool       `json:"email_confirmation_waived"`
	LastSeenAt              *time.Time `json:"last_seen_at,omitempty"`
	TrustLevelLocked        bool       `json:"trust_level_locked"`
	PostCount               int        `json:"post_count"`
	ModeratedCategories     []int64    `json:"moderated_categories"`
}

func toAPIAdminMember(m *forum.AdminMember) apiAdminMember {
	cats := []int64(m.ModeratedCategories)
	if cats == nil {
		cats = []int64{}
	}
	return apiAdminMember{Member: m.Member, Email: m.Email, LastSeenAt: m.LastSeenAt,
		EmailConfirmedAt: m.EmailVerifiedAt, EmailConfirmationWaived: m.EmailConfirmationWaived,
		TrustLevelLocked: m.TrustLevelLocked, PostCount: m.PostCount, ModeratedCategories: cats}
}

// apiAdminMembers searches the members (admins): ?q=&role=&trust_level=&status=&after=.
func (s *Server) apiAdminMembers(c *gin.Context) {
	f, err := memberFilterFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.db.SearchMembers(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiAdminMember, len(page.Members))
	for i := range page.Members {
		out[i] = toAPIAdminMember(&page.Members[i])
	}
	var next *int64
	if page.Next != 0 {
		next = &page.Next
	}
	c.JSON(http.StatusOK, gin.H{"members": out, "next": next})
}

func (s *Server) apiAdminMember(c *gin.Context) {
	id, ok := s.pathID(c, "id", "member.not_found")
	if !ok {
		return
	}
	m, err := s.db.AdminMemberByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"member": toAPIAdminMember(m)})
}

// adminMemberPatch changes a member's role or trust level; a trust level
// set by hand is locked, "trust_level_locked": false hands it back to the
// promotion job.
type adminMemberPatch struct {
	Role                *forum.Role `json:"role"`
	TrustLevel          *int        `json:"trust_level"`
	TrustLevelLocked    *bool       `json:"trust_level_locked"`
	ModeratedCategories *[]int64    `json:"moderated_categories"`
}

func (s *Server) apiUpdateAdminMember(c *gin.Context) {
	id, ok := s.pathID(c, "id", "member.not_found")
	if !ok {
		return
	}
	var req adminMemberPatch
	if !s.bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	if err := forum.RequireAdmin(ctx); err != nil {
		s.fail(c, err)
		return
	}
	if req.TrustLevelLocked != nil && *req.TrustLevelLocked && req.TrustLevel == nil {
		s.fail(c, forum.Errorf(forum.EINVALID, "admin.lock_needs_level", nil).OnField("trust_level"))
		return
	}
	change := forum.AdminMemberChange{Role: req.Role, TrustLevel: req.TrustLevel,
		UnlockTrustLevel:    req.TrustLevel == nil && req.TrustLevelLocked != nil && !*req.TrustLevelLocked,
		ModeratedCategories: req.ModeratedCategories}
	if err := s.db.ChangeMember(ctx, id, change); err != nil {
		s.fail(c, err)
		return
	}
	s.apiAdminMember(c)
}

// apiApproveMember activates an account waiting for approval (admins).
func (s *Server) apiApproveMember(c *gin.Context) { s.apiChangeMember(c, s.db.ApproveMember) }

// apiWaiveEmailConfirmation lets a member who signed up post without
// confirming their address (admins).
func (s *Server) apiWaiveEmailConfirmation(c *gin.Context) {
	s.apiChangeMember(c, s.db.WaiveEmailConfirmation)
}

// apiChangeMember runs change on the member of the path and answers the
// member as it now stands.
func (s *Server) apiChangeMember(c *gin.Context, change func(context.Context, int64) (*forum.Member, error)) {
	id, ok := s.pathID(c, "id", "member.not_found")
	if !ok {
		return
	}
	if _, err := change(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	s.apiAdminMember(c)
}

// apiDashboard answers the community-health figures of a period (staff):
// ?period=7|30|90|365 or ?from=YYYY-MM-DD&to=YYYY-MM-DD.
func (s *Server) apiDashboard(c *gin.Context) {
	d, err := s.loadDashboard(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	secs := func(p *time.Duration) *int64 {
		if p == nil {
			return nil
		}
		n := int64(*p / time.Second)
		return &n
	}
	days := make([]gin.H, len(d.Days))
	for i, day := range d.Days {
		days[i] = gin.H{"day": day.Day.Format(time.DateOnly), "posts": day.Posts, "threads": day.Threads, "new_members": day.NewMembers,
			"reports": day.Reports, "held": day.Held, "removed": day.Removed}
	}
	totals := func(t forum.HealthTotals) gin.H {
		return gin.H{"posts": t.Posts, "threads": t.Threads, "signups": t.SignUps, "reports": t.Reports, "held": t.Held, "removed": t.Removed,
			"answerable": t.Answerable, "answered": t.Answered, "first_response_mean_seconds": secs(t.MeanFirstResponse()),
			"staff_answered": t.StaffAnswered, "staff_response_mean_seconds": secs(t.MeanStaffResponse()),
			"settled_threads": t.SettledAnswerable, "unanswered_24h": t.Unanswered24h()}
	}
	categories := make([]gin.H, len(d.Categories))
	for i, ch := range d.Categories {
		h := totals(ch.HealthTotals)
		h["id"], h["name"], h["slug"] = ch.ID, ch.Name, ch.Slug
		categories[i] = h
	}
	contributors := make([]gin.H, len(d.TopContributors))
	for i, m := range d.TopContributors {
		contributors[i] = gin.H{"id": m.ID, "username": m.Username, "posts": m.Posts, "threads": m.Threads, "likes_received": m.LikesReceived}
	}
	trafficDays := make([]gin.H, len(d.TrafficDays))
	for i, t := range d.TrafficDays {
		trafficDays[i] = gin.H{"day": t.Day.Format(time.DateOnly), "member": t.Member, "anonymous": t.Anonymous, "crawler": t.Crawler,
			"search": t.Search, "readers": t.Readers}
	}
	rules := make([]gin.H, len(d.Rules))
	for i, r := range d.Rules {
		var precision *float64
		if p := r.Precision(); p >= 0 {
			precision = &p
		}
		rules[i] = gin.H{"rule_id": r.RuleID, "name": r.Name, "fired": r.Fired, "upheld": r.Upheld, "overturned": r.Overturned, "precision": precision}
	}
	queueDays := make([]gin.H, len(d.QueueDays))
	for i, q := range d.QueueDays {
		queueDays[i] = gin.H{"day": q.Day.Format(time.DateOnly), "size_max": q.Size, "oldest_seconds_max": q.OldestSeconds}
	}
	period := func(p forum.Period) gin.H {
		return gin.H{"from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly), "days": p.Len()}
	}
	c.JSON(http.StatusOK, gin.H{
		"period": period(d.Period), "previous_period": period(d.Prior), "time_zone": d.Location.String(),
		"from": d.From, "to": d.To, "at": d.Now, "computed_at": d.ComputedAt,
		"current": totals(d.Current), "previous": totals(d.Previous), "days": days, "categories": categories,
		"engagement": gin.H{"active_1d": d.Active1, "active_7d": d.Active7, "active_30d": d.Active30},
		"reputation": gin.H{"terms": d.Terms, "held_share": d.Current.HeldShare(), "removed_share": d.Current.RemovedShare(),
			"previous_held_share": d.Previous.HeldShare(), "previous_removed_share": d.Previous.RemovedShare()},
		"unanswered_threads": d.Unanswered, "rules": rules, "report_outcomes": d.ReportOutcomes, "queue_days": queueDays, "moderators": d.Moderators,
		"moderation": gin.H{"review_items": d.ReviewItems, "queue_size": d.QueueSize, "queue": d.Queue,
			"seen_median_seconds": secs(d.ReviewSeenMedian), "claim_median_seconds": secs(d.ReviewClaimMedian), "resolve_median_seconds": secs(d.ReviewResolveMedian)},
		"top_contributors": contributors,
		"traffic": gin.H{"current": d.Traffic, "previous": d.PreviousTraffic, "days": trafficDays,
			"top_threads": d.TopThreads, "top_categories": d.TopCategories, "referrers": d.Referrers},
	})
}
