package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// settingField describes how the settings form shows one setting: its
// JSON name (labels and help are admin.setting.NAME and NAME_help) and the
// kind of input.
type settingField struct {
	Key     string
	Kind    string   // text, int, float, bool, list (one item a line), select, level (a trust level), int5 and float5 (one value per trust level)
	Options []string // select: the values, each labelled admin.setting.NAME.VALUE
	Default string   // the default, as typed
}

// PerLevel reports whether the setting holds one value per trust level.
func (f settingField) PerLevel() bool { return f.Kind == "int5" || f.Kind == "float5" }

type settingGroup struct {
	Name   string // admin.settings_group.NAME
	Fields []settingField
}

// settingGroups order the settings form; a test checks that every setting
// is in it once.
var settingGroups = func() []settingGroup {
	groups := []settingGroup{
		{"general", []settingField{
			{Key: "site_name", Kind: "text"},
			{Key: "locale", Kind: "select", Options: []string{"", "fr", "en"}},
			{Key: "time_zone", Kind: "text"},
			{Key: "reputation_terms", Kind: "list"},
			{Key: "registration_mode", Kind: "select", Options: []string{forum.RegistrationOpen, forum.RegistrationApproval, forum.RegistrationClosed}},
		}},
		{"posting", []settingField{
			{Key: "title_min_length", Kind: "int"}, {Key: "title_max_length", Kind: "int"},
			{Key: "post_min_length", Kind: "int"}, {Key: "post_max_length", Kind: "int"},
			{Key: "edit_window_minutes", Kind: "int"},
		}},
		{"limits", []settingField{
			{Key: "new_member_held_posts", Kind: "int"},
			{Key: "links_per_post", Kind: "int5"}, {Key: "mentions_per_post", Kind: "int5"},
			{Key: "images_min_trust_level", Kind: "level"},
			{Key: "posts_per_minute", Kind: "int5"}, {Key: "threads_per_day", Kind: "int5"},
			{Key: "duplicate_window_minutes", Kind: "int"},
		}},
		{"uploads", []settingField{
			{Key: "upload_min_trust_level", Kind: "level"},
			{Key: "upload_max_kb", Kind: "int5"}, {Key: "uploads_per_day", Kind: "int5"},
			{Key: "attachment_extensions", Kind: "list"},
		}},
		{"messages", []settingField{
			{Key: "messages_tl0_may_start", Kind: "bool"},
			{Key: "message_max_recipients", Kind: "int5"}, {Key: "messages_unanswered_per_day", Kind: "int5"},
		}},
		{"reports", []settingField{
			{Key: "report_min_trust_level", Kind: "level"}, {Key: "reports_per_day", Kind: "int"},
			{Key: "report_hide_threshold", Kind: "float"}, {Key: "report_weights", Kind: "float5"},
		}},
		{"moderation", []settingField{
			{Key: "escalation_ladder", Kind: "list"}, {Key: "auto_escalate", Kind: "bool"}, {Key: "public_mod_log", Kind: "bool"},
		}},
		{"trust", []settingField{
			{Key: "tl1_requires_topics_entered", Kind: "int"}, {Key: "tl1_requires_read_posts", Kind: "int"},
			{Key: "tl1_requires_time_spent_mins", Kind: "int"},
			{Key: "tl2_requires_topics_entered", Kind: "int"}, {Key: "tl2_requires_read_posts", Kind: "int"},
			{Key: "tl2_requires_time_spent_mins", Kind: "int"}, {Key: "tl2_requires_days_visited", Kind: "int"},
			{Key: "tl2_requires_likes_received", Kind: "int"}, {Key: "tl2_requires_likes_given", Kind: "int"},
			{Key: "tl2_requires_topic_reply_count", Kind: "int"},
			{Key: "tl3_time_period", Kind: "int"}, {Key: "tl3_requires_days_visited", Kind: "int"},
			{Key: "tl3_requires_topics_replied_to", Kind: "int"}, {Key: "tl3_requires_topics_viewed", Kind: "int"},
			{Key: "tl3_requires_posts_read", Kind: "int"}, {Key: "tl3_requires_likes_given", Kind: "int"},
			{Key: "tl3_requires_likes_received", Kind: "int"}, {Key: "tl3_promotion_min_duration", Kind: "int"},
		}},
	}
	def := settingsFormValues(ptrTo(forum.DefaultSettings()))
	for g := range groups {
		for i := range groups[g].Fields {
			f := &groups[g].Fields[i]
			if f.PerLevel() {
				vals := make([]string, 5)
				for tl := range 5 {
					vals[tl] = def[f.Key+"."+strconv.Itoa(tl)]
				}
				f.Default = strings.Join(vals, " · ")
			} else {
				f.Default = strings.ReplaceAll(def[f.Key], "\n", ", ")
			}
		}
	}
	return groups
}()

var trustLevels = []int{forum.TrustNew, forum.TrustBasic, forum.TrustMember, forum.TrustRegular, forum.TrustLeader}

func ptrTo[T any](v T) *T { return &v }

// settingsFormValues writes settings as the form's fields: one per
// setting, five (NAME.0 … NAME.4) for those per trust level, a list one
// item a line, a boolean "1" or "".
func settingsFormValues(st *forum.Settings) map[string]string {
	b, _ := json.Marshal(st)
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(b, &raw) // what json.Marshal wrote is an object
	out := map[string]string{}
	for k, v := range raw {
		var list []json.RawMessage
		var str string
		var flag bool
		switch {
		case json.Unmarshal(v, &list) == nil:
			var items []string
			for i, item := range list {
				if json.Unmarshal(item, &str) == nil {
					items = append(items, str)
				} else {
					out[k+"."+strconv.Itoa(i)] = string(item)
				}
			}
			if items != nil {
				out[k] = strings.Join(items, "\n")
			}
		case json.Unmarshal(v, &str) == nil:
			out[k] = str
		case json.Unmarshal(v, &flag) == nil:
			if flag {
				out[k] = "1"
			}
		default:
			out[k] = string(v)
		}
	}
	return out
}

// settingsPatch reads the form into the JSON patch UpdateSettings takes.
// Numbers that do not parse are errors on their field, all at once.
func settingsPatch(f *Form) (map[string]json.RawMessage, map[string]string) {
	patch := map[string]json.RawMessage{}
	bad := map[string]string{}
	number := func(s string, float bool) (json.RawMessage, bool) {
		s = strings.TrimSpace(s)
		if float {
			s = strings.Replace(s, ",", ".", 1) // a French decimal comma
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, false
			}
			b, _ := json.Marshal(v)
			return b, true
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			return nil, false
		}
		return json.RawMessage(strconv.Itoa(v)), true
	}
	for _, g := range settingGroups {
		for _, fd := range g.Fields {
			switch fd.Kind {
			case "text", "select":
				b, _ := json.Marshal(f.Get(fd.Key))
				patch[fd.Key] = b
			case "bool":
				b, _ := json.Marshal(f.Get(fd.Key) == "1")
				patch[fd.Key] = b
			case "list":
				items := []string{}
				for _, item := range strings.FieldsFunc(f.Get(fd.Key), func(r rune) bool { return r == '\n' || r == ',' }) {
					if item = strings.TrimSpace(item); item != "" {
						items = append(items, item)
					}
				}
				b, _ := json.Marshal(items)
				patch[fd.Key] = b
			case "int", "level", "float":
				v, ok := number(f.Get(fd.Key), fd.Kind == "float")
				if !ok {
					bad[fd.Key] = "admin.settings_not_a_number"
					continue
				}
				patch[fd.Key] = v
			case "int5", "float5":
				vals := make([]json.RawMessage, 5)
				ok := true
				for tl := range 5 {
					if vals[tl], ok = number(f.Get(fd.Key+"."+strconv.Itoa(tl)), fd.Kind == "float5"); !ok {
						break
					}
				}
				if !ok {
					bad[fd.Key] = "admin.settings_not_a_number"
					continue
				}
				patch[fd.Key], _ = json.Marshal(vals)
			}
		}
	}
	return patch, bad
}

// settingsFieldNames are the names of the form's inputs.
func settingsFieldNames() []string {
	var names []string
	for _, g := range settingGroups {
		for _, f := range g.Fields {
			if f.PerLevel() {
				for tl := range 5 {
					names = append(names, f.Key+"."+strconv.Itoa(tl))
				}
			} else {
				names = append(names, f.Key)
			}
		}
	}
	return names
}

type adminSettingsPage struct {
	Groups []settingGroup
	Levels []int // 0–4, for the inputs per trust level
	Form   *Form
	Saved  bool
}

// htmlAdminSettings shows the settings form (admins).
func (s *Server) htmlAdminSettings(c *gin.Context) {
	ctx := c.Request.Context()
	if err := forum.RequireAdmin(ctx); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.db.Settings(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := &Form{Values: settingsFormValues(st), Errors: map[string]string{}}
	s.render(c, http.StatusOK, "admin_settings", s.lang(c).T("admin.settings_title"),
		adminSettingsPage{Groups: settingGroups, Levels: trustLevels, Form: f, Saved: c.Query("done") == "saved"})
}

// htmlAdminSaveSettings saves the form; a refused one comes back as typed
// with each error next to its field.
func (s *Server) htmlAdminSaveSettings(c *gin.Context) {
	ctx := c.Request.Context()
	if err := forum.RequireAdmin(ctx); err != nil {
		s.fail(c, err)
		return
	}
	f := readForm(c, settingsFieldNames()...)
	patch, bad := settingsPatch(f)
	lang := s.lang(c)
	status := http.StatusBadRequest
	if len(bad) == 0 {
		_, err := s.db.UpdateSettings(ctx, patch)
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
			return
		}
		fe := domainError(err)
		if fe.Code != forum.EINVALID || fe.Field == "" {
			status = s.setError(c, f, err)
		} else {
			f.Errors[fe.Field] = lang.Msg(fe.Key, fe.Args)
		}
	}
	for field, key := range bad {
		f.Errors[field] = lang.T(key)
	}
	if f.Error == "" {
		f.Error = lang.T("admin.settings_refused")
	}
	s.render(c, status, "admin_settings", lang.T("admin.settings_title"), adminSettingsPage{Groups: settingGroups, Levels: trustLevels, Form: f})
}
