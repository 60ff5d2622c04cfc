package forum

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the time_zone setting works on images without a zoneinfo

	"github.com/jmoiron/sqlx"
)

// Registration modes.
const (
	RegistrationOpen     = "open"
	RegistrationApproval = "approval"
	RegistrationClosed   = "closed"
)

// Settings are the community's typed settings. Their defaults live in code
// (DefaultSettings); a row of the settings table, keyed by the JSON name,
// overrides one. Arrays indexed by trust level hold one value per level 0–4.
type Settings struct {
	SiteName string `json:"site_name"`
	Locale   string `json:"locale"` // "" means PALABRE_LOCALE
	// TimeZone is the IANA name of the forum's time zone: the dashboard's
	// days start at midnight there.
	TimeZone string `json:"time_zone"`
	// ReputationTerms are the words whose mentions in posts the dashboard
	// follows (the forum's or the brand's name), matched regardless of case.
	ReputationTerms  []string `json:"reputation_terms"`
	RegistrationMode string   `json:"registration_mode"`

	TitleMinLength    int `json:"title_min_length"`
	TitleMaxLength    int `json:"title_max_length"`
	PostMinLength     int `json:"post_min_length"`
	PostMaxLength     int `json:"post_max_length"`
	EditWindowMinutes int `json:"edit_window_minutes"` // 0: no limit

	NewMemberHeldPosts     int    `json:"new_member_held_posts"` // first N posts of a TL0 member held
	LinksPerPost           [5]int `json:"links_per_post"`        // -1: no limit
	MentionsPerPost        [5]int `json:"mentions_per_post"`
	ImagesMinTrustLevel    int    `json:"images_min_trust_level"`
	PostsPerMinute         [5]int `json:"posts_per_minute"` // 0: no limit
	ThreadsPerDay          [5]int `json:"threads_per_day"`  // 0: no limit
	DuplicateWindowMinutes int    `json:"duplicate_window_minutes"`

	// Uploads (forum/upload_store.go): who may upload images and
	// attachments, how large (in kilobytes) and how many a day, by trust
	// level; staff are exempt from the daily count. Avatars need no trust
	// level but count as uploads.
	UploadMinTrustLevel  int      `json:"upload_min_trust_level"`
	UploadMaxKB          [5]int   `json:"upload_max_kb"`
	UploadsPerDay        [5]int   `json:"uploads_per_day"` // 0: no limit
	AttachmentExtensions []string `json:"attachment_extensions"`

	// Private messages: whether members of trust level 0 may start a
	// conversation, how many members one may write to at once, and how many
	// members who never wrote back one may write to first in a day (0: no
	// limit), by trust level. Staff are exempt.
	MessagesNewMembersMayStart bool   `json:"messages_tl0_may_start"`
	MessageMaxRecipients       [5]int `json:"message_max_recipients"`
	MessagesUnansweredPerDay   [5]int `json:"messages_unanswered_per_day"`

	ReportMinTrustLevel int        `json:"report_min_trust_level"`
	ReportsPerDay       int        `json:"reports_per_day"`
	ReportHideThreshold float64    `json:"report_hide_threshold"` // 0: never hide automatically
	ReportWeights       [5]float64 `json:"report_weights"`
	// EscalationLadder is the sanction proposed for a member's next offence,
	// by how many sanctions they had: "warn", "silence:24h", "suspend:168h",
	// "ban" (the last step repeats). AutoEscalate applies it without asking
	// when a moderator acts on a member's post.
	EscalationLadder []string `json:"escalation_ladder"`
	AutoEscalate     bool     `json:"auto_escalate"`
	// PublicModLog opens /transparency: the moderation log without the
	// moderators' names.
	PublicModLog bool `json:"public_mod_log"`

	// Automatic trust-level promotion, Discourse's names and defaults
	// (forum/trust.go). TL3 looks at the last TL3PeriodDays only.
	TL1TopicsEntered       int `json:"tl1_requires_topics_entered"`
	TL1PostsRead           int `json:"tl1_requires_read_posts"`
	TL1MinutesSpent        int `json:"tl1_requires_time_spent_mins"`
	TL2TopicsEntered       int `json:"tl2_requires_topics_entered"`
	TL2PostsRead           int `json:"tl2_requires_read_posts"`
	TL2MinutesSpent        int `json:"tl2_requires_time_spent_mins"`
	TL2DaysVisited         int `json:"tl2_requires_days_visited"`
	TL2LikesReceived       int `json:"tl2_requires_likes_received"`
	TL2LikesGiven          int `json:"tl2_requires_likes_given"`
	TL2TopicsRepliedTo     int `json:"tl2_requires_topic_reply_count"`
	TL3PeriodDays          int `json:"tl3_time_period"`
	TL3DaysVisited         int `json:"tl3_requires_days_visited"`
	TL3TopicsRepliedTo     int `json:"tl3_requires_topics_replied_to"`
	TL3TopicsViewedPercent int `json:"tl3_requires_topics_viewed"` // of the topics created in the period
	TL3PostsReadPercent    int `json:"tl3_requires_posts_read"`    // of the posts created in the period
	TL3LikesGiven          int `json:"tl3_requires_likes_given"`
	TL3LikesReceived       int `json:"tl3_requires_likes_received"`
	TL3PromotionMinDays    int `json:"tl3_promotion_min_duration"` // no demotion before
}

// DefaultSettings are the settings of a new community, modelled on what
// Discourse ships: newcomers are limited, established members are trusted.
func DefaultSettings() Settings {
	return Settings{
		SiteName:                 "Palabre",
		TimeZone:                 DefaultTimeZone,
		ReputationTerms:          []string{},
		RegistrationMode:         RegistrationOpen,
		TitleMinLength:           5,
		TitleMaxLength:           200,
		PostMinLength:            2,
		PostMaxLength:            32000,
		EditWindowMinutes:        24 * 60,
		NewMemberHeldPosts:       0,
		LinksPerPost:             [5]int{2, 10, -1, -1, -1},
		MentionsPerPost:          [5]int{2, 10, 10, 20, 20},
		ImagesMinTrustLevel:      TrustBasic,
		PostsPerMinute:           [5]int{3, 6, 10, 20, 0},
		ThreadsPerDay:            [5]int{3, 10, 20, 0, 0},
		DuplicateWindowMinutes:   10,
		MessageMaxRecipients:     [5]int{1, 5, 10, 20, 30},
		MessagesUnansweredPerDay: [5]int{3, 10, 20, 0, 0},
		UploadMinTrustLevel:      TrustBasic,
		UploadMaxKB:              [5]int{1024, 4096, 4096, 8192, 8192},
		UploadsPerDay:            [5]int{5, 20, 50, 100, 0},
		AttachmentExtensions:     []string{},
		ReportMinTrustLevel:      TrustNew,
		ReportsPerDay:            20,
		ReportHideThreshold:      3,
		ReportWeights:            [5]float64{0.5, 1, 1, 1.5, 2},
		EscalationLadder:         []string{"warn", "silence:24h", "suspend:168h", "ban"},
		TL1TopicsEntered:         5,
		TL1PostsRead:             30,
		TL1MinutesSpent:          10,
		TL2TopicsEntered:         20,
		TL2PostsRead:             100,
		TL2MinutesSpent:          60,
		TL2DaysVisited:           15,
		TL2LikesReceived:         1,
		TL2LikesGiven:            1,
		TL2TopicsRepliedTo:       3,
		TL3PeriodDays:            100,
		TL3DaysVisited:           50,
		TL3TopicsRepliedTo:       10,
		TL3TopicsViewedPercent:   25,
		TL3PostsReadPercent:      25,
		TL3LikesGiven:            30,
		TL3LikesReceived:         20,
		TL3PromotionMinDays:      14,
	}
}

// Validate checks every field; the error names the first field at fault.
func (s *Settings) Validate() error {
	bad := func(field, key string, args map[string]any) error {
		return Errorf(EINVALID, key, args).OnField(field)
	}
	s.SiteName = strings.TrimSpace(s.SiteName)
	switch {
	case s.SiteName == "" || len([]rune(s.SiteName)) > 80:
		return bad("site_name", "settings.site_name_invalid", map[string]any{"Max": 80})
	case s.Locale != "" && s.Locale != "fr" && s.Locale != "en":
		return bad("locale", "settings.locale_invalid", nil)
	case !validTimeZone(s.TimeZone):
		return bad("time_zone", "settings.time_zone_invalid", nil)
	case s.RegistrationMode != RegistrationOpen && s.RegistrationMode != RegistrationApproval && s.RegistrationMode != RegistrationClosed:
		return bad("registration_mode", "settings.registration_mode_invalid", nil)
	case s.TitleMinLength < 1 || s.TitleMaxLength < s.TitleMinLength || s.TitleMaxLength > 500:
		return bad("title_max_length", "settings.length_range_invalid", map[string]any{"Max": 500})
	case s.PostMinLength < 1 || s.PostMaxLength < s.PostMinLength || s.PostMaxLength > 100000:
		return bad("post_max_length", "settings.length_range_invalid", map[string]any{"Max": 100000})
	case s.EditWindowMinutes < 0:
		return bad("edit_window_minutes", "settings.not_negative", nil)
	case s.NewMemberHeldPosts < 0 || s.NewMemberHeldPosts > 100:
		return bad("new_member_held_posts", "settings.out_of_range", map[string]any{"Min": 0, "Max": 100})
	case s.ImagesMinTrustLevel < 0 || s.ImagesMinTrustLevel > 4:
		return bad("images_min_trust_level", "settings.trust_level_invalid", nil)
	case s.ReportMinTrustLevel < 0 || s.ReportMinTrustLevel > 4:
		return bad("report_min_trust_level", "settings.trust_level_invalid", nil)
	case s.DuplicateWindowMinutes < 0:
		return bad("duplicate_window_minutes", "settings.not_negative", nil)
	case s.ReportsPerDay < 1:
		return bad("reports_per_day", "settings.out_of_range", map[string]any{"Min": 1, "Max": 1000})
	case s.ReportHideThreshold < 0:
		return bad("report_hide_threshold", "settings.not_negative", nil)
	}
	if err := s.validateTerms(); err != nil {
		return err
	}
	if err := s.validateTrust(); err != nil {
		return err
	}
	if err := ValidateEscalationLadder(s.EscalationLadder); err != nil {
		return err
	}
	if err := s.validateUploads(); err != nil {
		return err
	}
	for tl := range 5 {
		switch {
		case s.LinksPerPost[tl] < -1:
			return bad("links_per_post", "settings.limit_invalid", nil)
		case s.MentionsPerPost[tl] < 0:
			return bad("mentions_per_post", "settings.not_negative", nil)
		case s.PostsPerMinute[tl] < 0:
			return bad("posts_per_minute", "settings.not_negative", nil)
		case s.ThreadsPerDay[tl] < 0:
			return bad("threads_per_day", "settings.not_negative", nil)
		case s.MessageMaxRecipients[tl] < 1:
			return bad("message_max_recipients", "settings.out_of_range", map[string]any{"Min": 1, "Max": 1000})
		case s.MessagesUnansweredPerDay[tl] < 0:
			return bad("messages_unanswered_per_day", "settings.not_negative", nil)
		case s.ReportWeights[tl] < 0:
			return bad("report_weights", "settings.not_negative", nil)
		}
	}
	return nil
}

// SettingKeys lists the JSON names of every setting, sorted.
func SettingKeys() []string {
	t := reflect.TypeFor[Settings]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		keys = append(keys, strings.Split(t.Field(i).Tag.Get("json"), ",")[0])
	}
	sort.Strings(keys)
	return keys
}

// ChannelSettings is the NOTIFY channel of settings changes.
const ChannelSettings = "palabre_settings"

// Settings returns the current settings (cached; a change made on any
// instance empties every instance's cache through NOTIFY).
func (db *DB) Settings(ctx context.Context) (*Settings, error) {
	return db.settings.GetOrLoad(struct{}{}, func() (*Settings, error) { return loadSettings(ctx, db.pool) })
}

// InvalidateSettings empties this instance's settings cache.
func (db *DB) InvalidateSettings() { db.settings.Drop() }

func loadSettings(ctx context.Context, q sqlx.QueryerContext) (*Settings, error) {
	var rows []struct {
		Key   string          `db:"key"`
		Value json.RawMessage `db:"value"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT key, value FROM settings`); err != nil {
		return nil, Internal("reading settings", err)
	}
	patch := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		patch[r.Key] = r.Value
	}
	s := DefaultSettings()
	if err := applySettings(&s, patch); err != nil {
		// A stored value that no longer fits (a setting changed type) must
		// not take the site down: fall back to defaults for it.
		s = DefaultSettings()
	}
	return &s, nil
}

// applySettings overlays JSON values on s; unknown keys are refused.
func applySettings(s *Settings, patch map[string]json.RawMessage) error {
	known := map[string]bool{}
	for _, k := range SettingKeys() {
		known[k] = true
	}
	for k, v := range patch {
		if !known[k] {
			return Errorf(EINVALID, "settings.unknown", map[string]any{"Name": k}).OnField(k)
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		if err := json.Unmarshal(one, s); err != nil {
			return Errorf(EINVALID, "settings.wrong_type", map[string]any{"Name": k}).OnField(k)
		}
	}
	return nil
}

const upsertSetting = `
INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, now(), $3)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by`

// UpdateSettings changes some settings (admins only): the values are
// validated together, stored, written to the moderation log with before and
// after, and every instance is told through NOTIFY.
func (db *DB) UpdateSettings(ctx context.Context, patch map[string]json.RawMessage) (*Settings, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var out *Settings
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		// Serialise concurrent updates so that validation sees the final state.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE settings IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return Internal("locking settings", err)
		}
		before, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		after := *before
		if err := applySettings(&after, patch); err != nil {
			return err
		}
		if err := after.Validate(); err != nil {
			return err
		}
		oldJSON, _ := json.Marshal(before)
		newJSON, _ := json.Marshal(&after)
		var oldMap, newMap map[string]json.RawMessage
		if err := json.Unmarshal(oldJSON, &oldMap); err != nil {
			return Internal("comparing settings", err)
		}
		if err := json.Unmarshal(newJSON, &newMap); err != nil {
			return Internal("comparing settings", err)
		}
		changedBefore, changedAfter := map[string]json.RawMessage{}, map[string]json.RawMessage{}
		for k, v := range newMap {
			if string(oldMap[k]) == string(v) {
				continue
			}
			changedBefore[k], changedAfter[k] = oldMap[k], v
			if _, err := tx.ExecContext(ctx, upsertSetting, k, string(v), actorID(ctx)); err != nil {
				return Internal("storing a setting", err)
			}
		}
		out = &after
		if len(changedAfter) == 0 {
			return nil
		}
		if err := LogTx(ctx, tx, LogEntry{Action: LogSettingsUpdate, TargetType: "settings", Before: changedBefore, After: changedAfter}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, ChannelSettings); err != nil {
			return Internal("notifying", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.InvalidateSettings()
	return out, nil
}

// actorID returns the id of the member acting, or nil for the system.
func actorID(ctx context.Context) *int64 {
	if m := MemberFrom(ctx); m != nil {
		return &m.ID
	}
	return nil
}

// TrustLevelName is the message key naming a trust level.
func TrustLevelName(tl int) string { return fmt.Sprintf("trust.level_%d", tl) }

// DefaultTimeZone is the time zone of a new forum.
const DefaultTimeZone = "Europe/Paris"

// validTimeZone accepts IANA names (Europe/Paris, UTC), which Go and
// PostgreSQL both know; not "Local" nor fixed offsets.
func validTimeZone(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Location is the forum's time zone (UTC if the setting cannot be loaded).
func (s *Settings) Location() *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil && s.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Bounds of the reputation terms.
const (
	reputationTermsMax   = 20
	reputationTermMaxLen = 60
)

// validateTerms trims the reputation terms, drops empty and repeated ones
// and checks their number and length.
func (s *Settings) validateTerms() error {
	seen := map[string]bool{}
	terms := []string{}
	for _, t := range s.ReputationTerms {
		t = strings.TrimSpace(t)
		key := strings.ToLower(t)
		if t == "" || seen[key] {
			continue
		}
		if n := len([]rune(t)); n < 2 || n > reputationTermMaxLen {
			return Errorf(EINVALID, "settings.reputation_terms_invalid", map[string]any{"Max": reputationTermMaxLen, "Count": reputationTermsMax}).OnField("reputation_terms")
		}
		seen[key] = true
		terms = append(terms, t)
	}
	if len(terms) > reputationTermsMax {
		return Errorf(EINVALID, "settings.reputation_terms_invalid", map[string]any{"Max": reputationTermMaxLen, "Count": reputationTermsMax}).OnField("reputation_terms")
	}
	s.ReputationTerms = terms
	return nil
}
