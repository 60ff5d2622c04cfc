// Package moderation is the pipeline every submitted text goes through
// (normalise, render Markdown, sanitize, apply the guideline rules, verdict),
// the rules and guidelines, reports, the review queue, moderator actions,
// sanctions and the moderation log.
//
// It imports forum and libraries for text (goldmark, bluemonday); never gin or
// net/http.
package moderation
