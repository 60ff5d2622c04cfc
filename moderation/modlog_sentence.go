package moderation

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/palabre/palabre/forum"
)

// A log line is said in words: the catalogue key "modlog.do.<action>" with
// named placeholders filled from the line's columns and details, in the
// reader's language. Some placeholders are phrases the catalogue says
// too (Term), dates (time.Time) or lists of phrases ([]Term).

// Term is a phrase of a sentence: a catalogue key and its arguments.
type Term struct {
	Key  string
	Args map[string]any
}

// Sentence is a log line in words, for the reader's language to say.
type Sentence struct {
	Key  string
	Args map[string]any
}

// SentenceKey is the catalogue key of an action's sentence.
func SentenceKey(action string) string { return "modlog.do." + action }

// sentenceArgs are the placeholders every sentence may use; all are set,
// empty when the line has nothing to say for one.
var sentenceArgs = []string{"Actor", "Target", "OfTarget", "Reason", "Rule", "Duration", "Until", "Kind",
	"Role", "Level", "Category", "Fields"}

// Sentence says the line: public sentences (the transparency page) name
// neither the moderator nor the member, nor a member's reason.
func (l *LogLine) Sentence(public bool) Sentence {
	args := make(map[string]any, len(sentenceArgs))
	for _, k := range sentenceArgs {
		args[k] = ""
	}
	// Details that are not an object (or none) have nothing to say: the
	// sentence goes without them.
	var before, after map[string]any
	if json.Unmarshal(l.Before, &before) != nil {
		before = nil
	}
	if json.Unmarshal(l.After, &after) != nil {
		after = nil
	}

	switch {
	case l.ActorID == nil:
		args["Actor"] = Term{Key: "modlog.who_system"}
	case public:
		args["Actor"] = Term{Key: "modlog.who_moderator"}
	default:
		args["Actor"] = deref(l.ActorName)
	}
	args["Target"], args["OfTarget"] = l.target(public)
	switch {
	case !public:
		args["Reason"] = l.Reason
	case l.TargetType == "post" || l.TargetType == "thread" || l.TargetType == "category" || l.TargetType == "rule":
		// What was said to a member stays private.
		args["Reason"] = l.Reason
	}
	switch l.Action {
	case string(forum.LogPostHold), string(forum.LogPostFlag), string(forum.LogPostCensor), string(forum.LogPostAutoHide),
		string(forum.LogMessageHold), string(forum.LogMessageFlag):
		// The rules that decided, named by the system.
		args["Rule"], args["Reason"] = l.Reason, ""
	case string(forum.LogMemberSilence), string(forum.LogMemberSuspension):
		if until, ok := timeIn(after, "until"); ok {
			args["Duration"] = duration(until.Sub(l.At))
		}
	case string(forum.LogSanctionShorten):
		if until, ok := timeIn(after, "until"); ok {
			args["Until"] = until
		}
	case string(forum.LogMemberRole):
		if role, _ := after["role"].(string); role != "" {
			args["Role"] = term("modlog.role_"+role, nil)
		}
	case string(forum.LogTrustPromote), string(forum.LogTrustDemote), string(forum.LogTrustLevel):
		if lvl, ok := after["trust_level"].(float64); ok {
			args["Level"] = fmt.Sprint(int(lvl))
		}
	case string(forum.LogSettingsUpdate):
		var fields []Term
		for k := range after {
			fields = append(fields, term("admin.setting."+k, nil))
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
		if len(fields) > 0 {
			args["Fields"] = fields
		}
	}
	kind, _ := before["kind"].(string)
	if kind == "" {
		kind = strings.TrimPrefix(l.Action, "member.lift_")
	}
	switch kind {
	case forum.SanctionSilence, forum.SanctionSuspension, forum.SanctionBan:
		args["Kind"] = term("modlog.kind_"+kind, nil)
	default:
		args["Kind"] = Term{Key: "modlog.kind_sanction"}
	}
	if l.CategoryName != nil {
		args["Category"] = Term{Key: "modlog.target_category", Args: map[string]any{"Name": *l.CategoryName}}
	} else if id, ok := after["category_id"].(float64); ok {
		args["Category"] = Term{Key: "modlog.target_number", Args: map[string]any{"ID": int64(id)}}
	}
	key := SentenceKey(l.Action)
	switch {
	case l.Action == string(forum.LogMemberDelete) && l.ActorID != nil && l.TargetID != nil && *l.ActorID == *l.TargetID:
		// A member who deleted their own account: no moderator did it.
		key, args["Actor"] = "modlog.do.member.delete_self", Term{Key: "modlog.who_member"}
	case (l.Action == string(forum.LogPostApprove) || l.Action == string(forum.LogPostReject)) && after["edit"] != nil:
		// A held edit of a published post, approved or refused: the post
		// itself stayed published.
		key += "_edit"
	}
	if !forum.IsLogAction(l.Action) {
		// A code this version does not know (written by a newer one).
		key, args["Action"] = "modlog.do_unknown", l.Action
	}
	return Sentence{Key: key, Args: args}
}

// target names what the line is about, as a subject (Target) and as a
// complement of a noun (OfTarget: "of Léa", "de Léa").
func (l *LogLine) target(public bool) (Term, Term) {
	id := int64(0)
	if l.TargetID != nil {
		id = *l.TargetID
	}
	name := deref(l.TargetName)
	switch l.TargetType {
	case "member":
		if public || name == "" {
			return Term{Key: "modlog.target_someone"}, Term{Key: "modlog.of_someone"}
		}
		a := map[string]any{"Name": name}
		return Term{Key: "modlog.target_member", Args: a}, Term{Key: "modlog.of_member", Args: a}
	case "post", "thread", "category", "rule", "review_item", "guidelines", "settings", "message", "conversation", "upload":
		t := term("modlog.target_"+l.TargetType, map[string]any{"ID": id, "Name": name})
		if name == "" && (l.TargetType == "thread" || l.TargetType == "category" || l.TargetType == "rule") {
			t.Key += "_number"
		}
		return t, t
	}
	t := Term{Key: "modlog.target_number", Args: map[string]any{"ID": id}}
	return t, t
}

// duration is a sanction's length in days, or hours under a day.
func duration(d time.Duration) Term {
	if d >= 23*time.Hour+30*time.Minute {
		return Term{Key: "modlog.days", Args: map[string]any{"Count": int(math.Round(d.Hours() / 24))}}
	}
	return Term{Key: "modlog.hours", Args: map[string]any{"Count": max(1, int(math.Round(d.Hours())))}}
}

func timeIn(m map[string]any, key string) (time.Time, bool) {
	s, _ := m[key].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// term is the phrase of a catalogue key made of parts.
func term(key string, args map[string]any) Term { return Term{Key: key, Args: args} }
