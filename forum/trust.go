package forum

import (
	"time"
)

// How trust levels move, in the manner of Discourse:
//
//   - 0 → 1 → 2 → 3 automatically, by the promotion job, from activity:
//     days visited and time spent (member_visits), topics replied to
//     (posts), topics entered and posts read (read_states), likes given and
//     received (likes). All-time counts for TL1 and TL2; TL3 looks at the
//     last TL3PeriodDays and also requires no silence, suspension or ban in
//     the last six months.
//   - TL4 (leader) is only ever given by an admin.
//   - The job never demotes, except a TL3 it promoted itself, once that
//     member no longer meets the TL3 requirements and has held the level
//     TL3PromotionMinDays. It demotes only on complete evidence: while the
//     likes or read_states table is missing, nobody is demoted.
//   - A level set by an admin is locked: the job leaves it alone.

// Caps on the share of the period's topics and posts a TL3 must have read,
// as Discourse caps them.
const (
	tl3TopicsViewedCap = 500
	tl3PostsReadCap    = 20000
	// tl3CleanRecord is how far back a silence, suspension or ban keeps a
	// member from TL3.
	tl3CleanRecord = 182 * 24 * time.Hour
)

// TrustActivity is what the promotion job measured for one member.
type TrustActivity struct {
	MemberID        int64      `db:"id" json:"-"`
	TrustLevel      int        `db:"trust_level" json:"-"`
	PromotedAt      *time.Time `db:"trust_promoted_at" json:"-"`
	DaysVisited     int        `db:"days_visited" json:"days_visited"`
	MinutesSpent    int        `db:"minutes_spent" json:"minutes_spent"`
	TopicsRepliedTo int        `db:"topics_replied_to" json:"topics_replied_to"`
	TopicsEntered   int        `db:"topics_entered" json:"topics_entered"`
	PostsRead       int        `db:"posts_read" json:"posts_read"`
	LikesGiven      int        `db:"likes_given" json:"likes_given"`
	LikesReceived   int        `db:"likes_received" json:"likes_received"`
	// Over the TL3 period.
	PeriodDaysVisited     int  `db:"period_days_visited" json:"period_days_visited"`
	PeriodTopicsRepliedTo int  `db:"period_topics_replied_to" json:"period_topics_replied_to"`
	PeriodTopicsEntered   int  `db:"period_topics_entered" json:"period_topics_entered"`
	PeriodPostsRead       int  `db:"period_posts_read" json:"period_posts_read"`
	PeriodLikesGiven      int  `db:"period_likes_given" json:"period_likes_given"`
	PeriodLikesReceived   int  `db:"period_likes_received" json:"period_likes_received"`
	RecentlySanctioned    bool `db:"recently_sanctioned" json:"recently_sanctioned"`
}

// trustPeriod is the size of the TL3 period: how many topics and posts
// were created in it, which the TL3 percentages apply to.
type trustPeriod struct {
	Topics int `db:"topics"`
	Posts  int `db:"posts"`
}

func (s *Settings) meetsTL1(a *TrustActivity) bool {
	return a.TopicsEntered >= s.TL1TopicsEntered && a.PostsRead >= s.TL1PostsRead &&
		a.MinutesSpent >= s.TL1MinutesSpent
}

func (s *Settings) meetsTL2(a *TrustActivity) bool {
	return a.TopicsEntered >= s.TL2TopicsEntered && a.PostsRead >= s.TL2PostsRead &&
		a.MinutesSpent >= s.TL2MinutesSpent && a.DaysVisited >= s.TL2DaysVisited &&
		a.LikesReceived >= s.TL2LikesReceived && a.LikesGiven >= s.TL2LikesGiven &&
		a.TopicsRepliedTo >= s.TL2TopicsRepliedTo
}

func (s *Settings) meetsTL3(a *TrustActivity, p trustPeriod) bool {
	topics := percentOf(s.TL3TopicsViewedPercent, min(p.Topics, tl3TopicsViewedCap))
	posts := percentOf(s.TL3PostsReadPercent, min(p.Posts, tl3PostsReadCap))
	return !a.RecentlySanctioned && a.PeriodDaysVisited >= s.TL3DaysVisited &&
		a.PeriodTopicsRepliedTo >= s.TL3TopicsRepliedTo && a.PeriodTopicsEntered >= topics &&
		a.PeriodPostsRead >= posts && a.PeriodLikesGiven >= s.TL3LikesGiven &&
		a.PeriodLikesReceived >= s.TL3LikesReceived
}

// percentOf is pct% of n, rounded up.
func percentOf(pct, n int) int { return (pct*n + 99) / 100 }

// targetLevel is the level a member should hold at now; complete reports
// whether every source of activity could be read.
func (s *Settings) targetLevel(a *TrustActivity, p trustPeriod, complete bool, now time.Time) int {
	level := a.TrustLevel
	if level == TrustNew && s.meetsTL1(a) {
		level = TrustBasic
	}
	if level == TrustBasic && s.meetsTL2(a) {
		level = TrustMember
	}
	if level == TrustMember && s.meetsTL3(a, p) {
		level = TrustRegular
	}
	if a.TrustLevel == TrustRegular && a.PromotedAt != nil && complete &&
		now.Sub(*a.PromotedAt) >= time.Duration(s.TL3PromotionMinDays)*24*time.Hour && !s.meetsTL3(a, p) {
		level = TrustMember
	}
	return level
}

// validateTrust checks the promotion thresholds.
func (s *Settings) validateTrust() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"tl1_requires_topics_entered", s.TL1TopicsEntered}, {"tl1_requires_read_posts", s.TL1PostsRead},
		{"tl1_requires_time_spent_mins", s.TL1MinutesSpent}, {"tl2_requires_topics_entered", s.TL2TopicsEntered},
		{"tl2_requires_read_posts", s.TL2PostsRead}, {"tl2_requires_time_spent_mins", s.TL2MinutesSpent},
		{"tl2_requires_days_visited", s.TL2DaysVisited}, {"tl2_requires_likes_received", s.TL2LikesReceived},
		{"tl2_requires_likes_given", s.TL2LikesGiven}, {"tl2_requires_topic_reply_count", s.TL2TopicsRepliedTo},
		{"tl3_requires_topics_replied_to", s.TL3TopicsRepliedTo}, {"tl3_requires_likes_given", s.TL3LikesGiven},
		{"tl3_requires_likes_received", s.TL3LikesReceived}, {"tl3_promotion_min_duration", s.TL3PromotionMinDays},
	} {
		if f.v < 0 {
			return Errorf(EINVALID, "settings.not_negative", nil).OnField(f.name)
		}
	}
	switch {
	case s.TL3PeriodDays < 1 || s.TL3PeriodDays > 365:
		return Errorf(EINVALID, "settings.out_of_range", map[string]any{"Min": 1, "Max": 365}).OnField("tl3_time_period")
	case s.TL3DaysVisited < 0 || s.TL3DaysVisited > s.TL3PeriodDays:
		return Errorf(EINVALID, "settings.out_of_range", map[string]any{"Min": 0, "Max": s.TL3PeriodDays}).OnField("tl3_requires_days_visited")
	case s.TL3TopicsViewedPercent < 0 || s.TL3TopicsViewedPercent > 100:
		return Errorf(EINVALID, "settings.out_of_range", map[string]any{"Min": 0, "Max": 100}).OnField("tl3_requires_topics_viewed")
	case s.TL3PostsReadPercent < 0 || s.TL3PostsReadPercent > 100:
		return Errorf(EINVALID, "settings.out_of_range", map[string]any{"Min": 0, "Max": 100}).OnField("tl3_requires_posts_read")
	}
	return nil
}
