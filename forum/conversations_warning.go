package forum

import (
	"context"
	"html"
	"strings"

	"github.com/jmoiron/sqlx"
)

// warningTitleRunes bounds the title of the conversation a warning opens.
const warningTitleRunes = 120

// warnByMessageTx sends a moderator's warning to the member as a private
// message too, in the transaction that records it: the member can answer
// the moderator. Warnings the system gives (no member acting) and those
// without a reason have nothing to say there.
func warnByMessageTx(ctx context.Context, tx *sqlx.Tx, target *Member, reason string) error {
	mod := MemberFrom(ctx)
	reason = strings.TrimSpace(reason)
	if mod == nil || reason == "" || mod.ID == target.ID {
		return nil
	}
	title, _, _ := strings.Cut(reason, "\n")
	if r := []rune(title); len(r) > warningTitleRunes {
		title = string(r[:warningTitleRunes-1]) + "…"
	}
	// The reason is plain text: escaped, its lines kept.
	body := "<p>" + strings.ReplaceAll(html.EscapeString(reason), "\n", "<br>") + "</p>"
	_, _, err := CreateConversationTx(ctx, tx, NewConversation{
		Title: title, AuthorID: mod.ID, RecipientIDs: []int64{target.ID},
		BodyMarkdown: reason, BodyHTML: body, Status: MessagePublished,
	})
	return err
}
