package server

// credentialEffect says what a write route (any method but GET, HEAD and
// OPTIONS) may do to what the authentication reads: the members' rows, their
// sessions and API tokens, their unread-notification badge. writeBarrier
// (server/auth.go) reads it for every write request.
type credentialEffect int

const (
	// changesCredentials: the route may sanction, log in or out, change a
	// profile, a role, a password, a session, a token or a badge, its
	// author's or anyone's. The request is answered once the instance has
	// forgotten its author (a member) or heard every announcement of its
	// changes (staff and anonymous requests). The safe choice, and what an
	// unknown route gets.
	changesCredentials credentialEffect = iota + 1
	// keepsCredentials: the route changes nothing the authentication reads,
	// of its author or of anyone else, before it answers (writing, editing
	// or liking a post, previewing one). Its author stays remembered, so
	// posting is authenticated from memory too; the notifications it gives
	// others come later, from the fan-out, and are announced to every
	// instance.
	keepsCredentials
)

// writeRoutes classifies every write route the server registers, by
// "METHOD /full/path" as gin names it. TestEveryWriteRouteIsClassified fails
// when a registered write route is missing here, or an entry names no
// route: adding a route means deciding its effect on credentials. A route
// whose handler may sanction, log out, change a profile or a badge must be
// changesCredentials.
var writeRoutes = map[string]credentialEffect{
	// Posting, editing, liking, previewing: nothing the authentication reads.
	"POST /new":                      keepsCredentials,
	"POST /t/:id/reply":              keepsCredentials,
	"POST /p/:id/edit":               keepsCredentials,
	"POST /p/:id/like":               keepsCredentials,
	"POST /api/v1/threads":           keepsCredentials,
	"POST /api/v1/threads/:id/posts": keepsCredentials,
	"PATCH /api/v1/posts/:id":        keepsCredentials,
	"POST /api/v1/posts/:id/like":    keepsCredentials,
	"DELETE /api/v1/posts/:id/like":  keepsCredentials,
	"POST /api/v1/preview":           keepsCredentials,
	// Uploads and avatars: files, not what the authentication reads.
	"POST /api/v1/uploads":        keepsCredentials,
	"PUT /api/v1/me/avatar":       keepsCredentials,
	"DELETE /api/v1/me/avatar":    keepsCredentials,
	"POST /account/avatar":        keepsCredentials,
	"POST /account/avatar/delete": keepsCredentials,
	// Private messages: their notifications are announced like a reply's;
	// leaving, adding someone, ignoring and the preferences change nothing
	// the authentication reads.
	"POST /api/v1/conversations":                  keepsCredentials,
	"POST /api/v1/conversations/:id/messages":     keepsCredentials,
	"POST /api/v1/conversations/:id/leave":        keepsCredentials,
	"POST /api/v1/conversations/:id/participants": keepsCredentials,
	"PUT /api/v1/me/ignored/:username":            keepsCredentials,
	"DELETE /api/v1/me/ignored/:username":         keepsCredentials,
	"PUT /api/v1/me/message-preferences":          keepsCredentials,
	"POST /api/v1/messages/:id/reports":           changesCredentials,
	"POST /messages/new":                          keepsCredentials,
	"POST /messages/preferences":                  keepsCredentials,
	"POST /messages/:id/reply":                    keepsCredentials,
	"POST /messages/:id/leave":                    keepsCredentials,
	"POST /messages/:id/participants":             keepsCredentials,
	"POST /u/:username/ignore":                    keepsCredentials,
	"POST /m/:id/report":                          changesCredentials,
	// Editing a message: its triggers announce the participants whose
	// unread count may change (migration 0053).
	"PATCH /api/v1/messages/:id": keepsCredentials,
	"POST /m/:id/edit":           keepsCredentials,
	// A like of a message: a row the authentication never reads.
	"POST /api/v1/messages/:id/like":   keepsCredentials,
	"DELETE /api/v1/messages/:id/like": keepsCredentials,
	"POST /m/:id/like":                 keepsCredentials,
	// Webhooks: rows the authentication never reads.
	"POST /admin/webhooks":                                     keepsCredentials,
	"POST /admin/webhooks/:id/active":                          keepsCredentials,
	"POST /admin/webhooks/:id/delete":                          keepsCredentials,
	"POST /admin/webhooks/:id/deliveries/:delivery/redeliver":  keepsCredentials,
	"POST /api/v1/webhooks":                                    keepsCredentials,
	"PATCH /api/v1/webhooks/:id":                               keepsCredentials,
	"DELETE /api/v1/webhooks/:id":                              keepsCredentials,
	"POST /api/v1/webhooks/:id/deliveries/:delivery/redeliver": keepsCredentials,
	// Bookmarks: the member's own rows, which the authentication never reads.
	"POST /p/:id/bookmark":              keepsCredentials,
	"POST /p/:id/bookmark/delete":       keepsCredentials,
	"PUT /api/v1/posts/:id/bookmark":    keepsCredentials,
	"DELETE /api/v1/posts/:id/bookmark": keepsCredentials,
	// Drafts: the member's own rows, which the authentication never reads.
	"PUT /api/v1/drafts/new":           keepsCredentials,
	"DELETE /api/v1/drafts/new":        keepsCredentials,
	"PUT /api/v1/threads/:id/draft":    keepsCredentials,
	"DELETE /api/v1/threads/:id/draft": keepsCredentials,
	// Everything else may change someone's credentials: log-ins and log-outs,
	// sessions and tokens, profiles and passwords, roles, sanctions, reports and
	// decisions (which sanction), settings, guidelines acceptance, badges.
	"DELETE /api/v1/categories/:id":                     changesCredentials,
	"DELETE /api/v1/posts/:id":                          changesCredentials,
	"DELETE /api/v1/rules/:id":                          changesCredentials,
	"PATCH /api/v1/admin/members/:id":                   changesCredentials,
	"PATCH /api/v1/me":                                  changesCredentials,
	"PATCH /api/v1/settings":                            changesCredentials,
	"PATCH /api/v1/threads/:id":                         changesCredentials,
	"POST /account":                                     changesCredentials,
	"POST /account/delete":                              changesCredentials,
	"POST /account/password":                            changesCredentials,
	"POST /account/sanctions/:id/appeal":                changesCredentials,
	"POST /account/sessions/revoke":                     changesCredentials,
	"POST /account/sessions/revoke-others":              changesCredentials,
	"POST /account/tokens":                              changesCredentials,
	"POST /account/tokens/:id/revoke":                   changesCredentials,
	"POST /account/verify-email":                        changesCredentials,
	"POST /admin/categories":                            changesCredentials,
	"POST /admin/categories/:id":                        changesCredentials,
	"POST /admin/categories/:id/delete":                 changesCredentials,
	"POST /admin/guidelines":                            changesCredentials,
	"POST /admin/members/:id/approve":                   changesCredentials,
	"POST /admin/members/:id/categories":                changesCredentials,
	"POST /admin/members/:id/role":                      changesCredentials,
	"POST /admin/members/:id/sanctions/lift":            changesCredentials,
	"POST /admin/members/:id/sanctions/shorten":         changesCredentials,
	"POST /admin/members/:id/trust":                     changesCredentials,
	"POST /admin/members/:id/waive-confirmation":        changesCredentials,
	"POST /admin/rules/:id":                             changesCredentials,
	"POST /admin/rules/:id/delete":                      changesCredentials,
	"POST /admin/rules/:id/toggle":                      changesCredentials,
	"POST /admin/rules/new":                             changesCredentials,
	"POST /admin/rules/test":                            changesCredentials,
	"POST /admin/rules/words":                           changesCredentials,
	"POST /admin/settings":                              changesCredentials,
	"POST /api/v1/admin/members/:id/approve":            changesCredentials,
	"POST /api/v1/admin/members/:id/waive-confirmation": changesCredentials,
	"POST /api/v1/auth/token":                           changesCredentials,
	"POST /api/v1/categories":                           changesCredentials,
	"POST /api/v1/guidelines/accept":                    changesCredentials,
	"POST /api/v1/members":                              changesCredentials,
	"POST /api/v1/members/:username/reports":            changesCredentials,
	"POST /api/v1/notifications/read":                   changesCredentials,
	"POST /api/v1/posts/:id/reports":                    changesCredentials,
	"POST /api/v1/uploads/:id/reports":                  changesCredentials,
	"POST /api/v1/review/:id/claim":                     changesCredentials,
	"POST /api/v1/review/:id/notes":                     changesCredentials,
	"POST /api/v1/review/:id/resolve":                   changesCredentials,
	"POST /api/v1/rules":                                changesCredentials,
	"POST /api/v1/rules/preview":                        changesCredentials,
	"POST /api/v1/rules/test":                           changesCredentials,
	"POST /api/v1/rules/words.csv":                      changesCredentials,
	"POST /api/v1/sanctions/:id/lift":                   changesCredentials,
	"POST /api/v1/sanctions/:id/shorten":                changesCredentials,
	"POST /c/:slug/watch":                               changesCredentials,
	"POST /guidelines/accept":                           changesCredentials,
	"POST /login":                                       changesCredentials,
	"POST /login/email":                                 changesCredentials,
	"POST /login/link":                                  changesCredentials,
	"POST /logout":                                      changesCredentials,
	"POST /mod/queue/:id/claim":                         changesCredentials,
	"POST /mod/queue/:id/notes":                         changesCredentials,
	"POST /mod/queue/:id/resolve":                       changesCredentials,
	"POST /notifications/read":                          changesCredentials,
	"POST /p/:id/delete":                                changesCredentials,
	"POST /p/:id/report":                                changesCredentials,
	"POST /password/forgot":                             changesCredentials,
	"POST /password/reset":                              changesCredentials,
	"POST /signup":                                      changesCredentials,
	"POST /suspended":                                   changesCredentials,
	"POST /t/:id/flags":                                 changesCredentials,
	"POST /t/:id/move":                                  changesCredentials,
	"POST /t/:id/watch":                                 changesCredentials,
	"POST /u/:username/report":                          changesCredentials,
	"POST /verify-email":                                changesCredentials,
	"POST /email/unsubscribe":                           changesCredentials,
	"PUT /api/v1/categories/:id":                        changesCredentials,
	"PUT /api/v1/categories/:id/watch":                  changesCredentials,
	"PUT /api/v1/guidelines":                            changesCredentials,
	"PUT /api/v1/rules/:id":                             changesCredentials,
	"PUT /api/v1/threads/:id/watch":                     changesCredentials,
	"POST /p/:id/restore":                               changesCredentials,
	"POST /t/:id/restore":                               changesCredentials,
	"DELETE /api/v1/threads/:id":                        changesCredentials,
	"POST /api/v1/threads/:id/restore":                  changesCredentials,
	"POST /api/v1/posts/:id/restore":                    changesCredentials,
}
