// Package forum is the domain of Palabre and its storage: members, sessions,
// roles, trust levels, categories, threads, posts and everything members do
// with them.
//
// It imports the standard library, sqlx, lib/pq and the text and crypto
// libraries its rules need (x/text, x/crypto, go.mau.fi/util/confusable). It
// never imports
// gin, net/http handlers, bluemonday or the moderation package: HTTP lives in
// server, the moderation pipeline in moderation.
package forum
