package forum

import (
	"strings"
	"time"
)

// Bounds of what a member writes about themselves, in runes.
const (
	DisplayNameMaxLength = 50
	BioMaxLength         = 3000
)

// PublicMember is what anyone may see of a member: no email, no sanctions.
type PublicMember struct {
	ID          int64     `db:"id" json:"id"`
	Username    string    `db:"username" json:"username"`
	DisplayName string    `db:"display_name" json:"display_name"`
	Role        Role      `db:"role" json:"role"`
	TrustLevel  int       `db:"trust_level" json:"trust_level"`
	BioHTML     string    `db:"bio_html" json:"bio_html"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	PostCount   int       `db:"post_count" json:"post_count"`
}

// Name is how the member is shown: the display name, else the username.
func (m PublicMember) Name() string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.Username
}

// ProfilePost is a post listed on its author's profile.
type ProfilePost struct {
	ID           int64     `db:"id" json:"id"`
	ThreadID     int64     `db:"thread_id" json:"thread_id"`
	ThreadTitle  string    `db:"thread_title" json:"thread_title"`
	ThreadSlug   string    `db:"thread_slug" json:"thread_slug"`
	CategorySlug string    `db:"category_slug" json:"category_slug"`
	CategoryName string    `db:"category_name" json:"category_name"`
	Number       int       `db:"number" json:"number"`
	BodyHTML     string    `db:"body_html" json:"html"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// Profile is a member's public page.
type Profile struct {
	Member      PublicMember  `json:"member"`
	RecentPosts []ProfilePost `json:"recent_posts"`
}

// NotificationPrefs say which notifications a member also gets by email.
type NotificationPrefs struct {
	Replies    bool `db:"email_on_reply" json:"replies"`
	Mentions   bool `db:"email_on_mention" json:"mentions"`
	Quotes     bool `db:"email_on_quote" json:"quotes"`
	Likes      bool `db:"email_on_like" json:"likes"`
	Moderation bool `db:"email_on_moderation" json:"moderation"`
	// Digest is how often a digest comes: DigestOff, DigestDaily or
	// DigestWeekly ("" in a change keeps it).
	Digest string `db:"email_digest" json:"digest"`
}

// AccountSettings are what a member may change about their account.
type AccountSettings struct {
	DisplayName   string            `db:"display_name" json:"display_name"`
	BioMarkdown   string            `db:"bio_markdown" json:"bio_markdown"`
	Locale        string            `db:"locale" json:"locale"`
	Notifications NotificationPrefs `db:"-" json:"notifications"`
	// EmailBounced: the address refused a mail for good; notification mail
	// is paused until the member confirms it again.
	EmailBounced bool `db:"email_bounced" json:"email_bounced"`
}

// ProfileUpdate changes some account settings; nil fields stay as they are.
// BioMarkdown and BioHTML go together and come from the moderation
// pipeline (normalised, rendered and sanitized for this member).
type ProfileUpdate struct {
	DisplayName   *string
	BioMarkdown   *string
	BioHTML       *string
	Locale        *string
	Notifications *NotificationPrefs
}

// Validate checks and cleans the fields that are set.
func (u *ProfileUpdate) Validate() error {
	if u.DisplayName != nil {
		name, err := cleanText(*u.DisplayName, "display_name", DisplayNameMaxLength)
		if err != nil {
			return err
		}
		if strings.ContainsAny(name, "\n\t") {
			return Errorf(EINVALID, "text.control_chars", nil).OnField("display_name")
		}
		u.DisplayName = &name
	}
	if (u.BioMarkdown == nil) != (u.BioHTML == nil) {
		return Internal("updating a profile", errBioWithoutHTML)
	}
	if u.BioMarkdown != nil {
		bio, err := cleanText(*u.BioMarkdown, "bio", BioMaxLength)
		if err != nil {
			return err
		}
		u.BioMarkdown = &bio
	}
	if u.Locale != nil && *u.Locale != "" && *u.Locale != "fr" && *u.Locale != "en" {
		return Errorf(EINVALID, "account_settings.locale_invalid", nil).OnField("locale")
	}
	if u.Notifications != nil {
		return checkDigest(u.Notifications.Digest)
	}
	return nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errBioWithoutHTML = constError("a bio's Markdown and HTML must be set together")
