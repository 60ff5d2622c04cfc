package forum

// LogAction is the code of a moderation log line: what was done. Every
// code the code base writes is a constant of this file, listed in
// LogActions (a test fails on a code written elsewhere, in Go or SQL);
// pages render each as a sentence, catalogue key "modlog.do.<code>".
type LogAction string

// The moderation log's action codes.
const (
	LogCategoryUpdate LogAction = "category.update"
	LogCategoryDelete LogAction = "category.delete"

	// LogConversationRead: a moderator read a private conversation, which a
	// participant's report opened to the staff.
	LogConversationRead LogAction = "conversation.read"
	// LogMessageRead: a moderator read a private message a review item is
	// about (held or flagged by the rules, or reported).
	LogMessageRead LogAction = "message.read"
	// A private message the rules held or flagged, and a moderator's
	// decision on a held one.
	LogMessageHold    LogAction = "message.hold"
	LogMessageFlag    LogAction = "message.flag"
	LogMessageApprove LogAction = "message.approve"
	LogMessageReject  LogAction = "message.reject"

	LogGuidelinesPublish LogAction = "guidelines.publish"

	LogMemberApprove           LogAction = "member.approve"
	LogMemberWaiveConfirmation LogAction = "member.waive_email_confirmation"
	LogMemberDelete            LogAction = "member.delete"
	LogMemberRole              LogAction = "member.role"
	LogMemberPasswordReset     LogAction = "member.password_reset"
	LogCategoryModeratorAdd    LogAction = "member.category_moderator_add"
	LogCategoryModeratorRemove LogAction = "member.category_moderator_remove"
	LogTrustPromote            LogAction = "member.trust_promote"
	LogTrustDemote             LogAction = "member.trust_demote"
	LogTrustLevel              LogAction = "member.trust_level"
	LogMemberWarning           LogAction = "member.warning"
	LogMemberSilence           LogAction = "member.silence"
	LogMemberSuspension        LogAction = "member.suspension"
	LogMemberBan               LogAction = "member.ban"
	LogAppealUpheld            LogAction = "member.appeal_upheld"
	LogSanctionLift            LogAction = "sanction.lift"
	LogSanctionShorten         LogAction = "sanction.shorten"
	legacyLogLiftSilence       LogAction = "member.lift_silence"    // before sanction.lift
	legacyLogLiftSuspension    LogAction = "member.lift_suspension" // before sanction.lift
	legacyLogLiftBan           LogAction = "member.lift_ban"        // before sanction.lift
	LogPostEdit                LogAction = "post.edit"
	LogPostDelete              LogAction = "post.delete"
	LogPostHold                LogAction = "post.hold"
	LogPostFlag                LogAction = "post.flag"
	LogPostCensor              LogAction = "post.censor"
	LogPostAutoHide            LogAction = "post.auto_hide"
	LogPostApprove             LogAction = "post.approve"
	LogPostRestore             LogAction = "post.restore"
	LogPostHide                LogAction = "post.hide"
	LogPostReject              LogAction = "post.reject"
	LogReviewResolve           LogAction = "review.resolve"
	LogUploadRemove            LogAction = "upload.remove"
	LogRuleCreate              LogAction = "rule.create"
	LogRuleUpdate              LogAction = "rule.update"
	LogRuleDelete              LogAction = "rule.delete"
	LogRuleImport              LogAction = "rule.import"
	LogSettingsUpdate          LogAction = "settings.update"
	LogThreadPin               LogAction = "thread.pin"
	LogThreadUnpin             LogAction = "thread.unpin"
	LogThreadLock              LogAction = "thread.lock"
	LogThreadUnlock            LogAction = "thread.unlock"
	LogThreadClose             LogAction = "thread.close"
	LogThreadReopen            LogAction = "thread.reopen"
	LogThreadMove              LogAction = "thread.move"
	LogThreadDelete            LogAction = "thread.delete"
	LogThreadRestore           LogAction = "thread.restore"
	LogThreadRetitle           LogAction = "thread.retitle"
	LogWebhookCreate           LogAction = "webhook.create"
	LogWebhookUpdate           LogAction = "webhook.update"
	LogWebhookDelete           LogAction = "webhook.delete"
)

// LogActions lists every action code the log may hold, the codes no longer
// written included (their lines stay readable).
var LogActions = []LogAction{
	LogCategoryUpdate, LogCategoryDelete,
	LogConversationRead, LogMessageRead, LogMessageHold, LogMessageFlag, LogMessageApprove, LogMessageReject,
	LogGuidelinesPublish,
	LogMemberApprove, LogMemberWaiveConfirmation, LogMemberDelete, LogMemberRole, LogMemberPasswordReset,
	LogCategoryModeratorAdd, LogCategoryModeratorRemove,
	LogTrustPromote, LogTrustDemote, LogTrustLevel,
	LogMemberWarning, LogMemberSilence, LogMemberSuspension, LogMemberBan, LogAppealUpheld,
	LogSanctionLift, LogSanctionShorten, legacyLogLiftSilence, legacyLogLiftSuspension, legacyLogLiftBan,
	LogPostEdit, LogPostDelete, LogPostHold, LogPostFlag, LogPostCensor, LogPostAutoHide,
	LogPostApprove, LogPostRestore, LogPostHide, LogPostReject,
	LogReviewResolve,
	LogUploadRemove,
	LogRuleCreate, LogRuleUpdate, LogRuleDelete, LogRuleImport,
	LogSettingsUpdate,
	LogThreadPin, LogThreadUnpin, LogThreadLock, LogThreadUnlock, LogThreadClose, LogThreadReopen, LogThreadMove,
	LogThreadDelete, LogThreadRestore, LogThreadRetitle,
	LogWebhookCreate, LogWebhookUpdate, LogWebhookDelete,
}

// sanctionLogActions are the codes of a sanction given, by kind.
var sanctionLogActions = map[string]LogAction{
	SanctionWarning: LogMemberWarning, SanctionSilence: LogMemberSilence,
	SanctionSuspension: LogMemberSuspension, SanctionBan: LogMemberBan,
}

// IsLogAction reports whether code is one of LogActions.
func IsLogAction(code string) bool {
	for _, a := range LogActions {
		if string(a) == code {
			return true
		}
	}
	return false
}
