package server

import "encoding/json"

// composeLabels are the catalogue keys static/js/compose.js shows (the
// composer's toolbar, preview, drafts and mention list), passed to the script
// as one data-labels attribute (the "compose-script" template). The script
// reads them by the part after "compose.".
var composeLabels = []string{
	"compose.toolbar", "compose.bold", "compose.italic", "compose.link", "compose.quote", "compose.code",
	"compose.list", "compose.image", "compose.bold_sample", "compose.italic_sample", "compose.link_sample",
	"compose.code_sample", "compose.list_sample", "compose.image_sample",
	"compose.preview", "compose.preview_title", "compose.preview_empty", "compose.preview_failed",
	"compose.preview_show", "compose.preview_hide",
	"compose.draft_saving", "compose.draft_saved", "compose.draft_failed", "compose.draft_restored",
	"compose.draft_discard", "compose.draft_discarded",
	"compose.mentions", "compose.mention_in_thread",
}

// ComposeLabels is the JSON object of composeLabels in the reader's
// language, keyed without the "compose." prefix: written once per language.
func (v *View) ComposeLabels() string {
	l := v.Lang
	l.composeOnce.Do(func() {
		out := make(map[string]string, len(composeLabels))
		for _, key := range composeLabels {
			out[key[len("compose."):]] = l.T(key)
		}
		b, _ := json.Marshal(out)
		l.composeLabels = string(b)
	})
	return l.composeLabels
}
