package moderation

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/palabre/palabre/forum"
)

// textDraft is a submitted text after normalisation, with what the rules
// need to know of its author.
type textDraft struct {
	Title        string // "" for a reply or an edit
	Body         string // normalised Markdown
	TrustLevel   int
	Staff        bool // moderators and admins: only block rules apply to them
	ImagesFrom   int  // the least trust level allowed images (setting)
	LinksMax     int  // links per post at the author's trust level, -1: no limit
	MentionsMax  int  // mentions per post at the author's trust level
	MemberExists func(name string) bool
}

// Match is one thing in a text that a rule hit, for admins testing rules.
type Match struct {
	Rule    forum.RuleRef `json:"rule"`
	Action  string        `json:"action"`
	Excerpt string        `json:"excerpt"`
}

// checkedText is a text through the text stages and the text rules: ready
// to store, once the rules that need the database have had their say.
type checkedText struct {
	Title    string
	Prepared Prepared
	Verdict  Verdict
	Matches  []Match // filled when collecting for TestText
}

// checkText renders the body, applies the rules that look at the text
// alone (watched words outside code, links, mentions), masks what censor
// rules hit (rendering the masked body again), and sanitizes the body. It
// needs no database: the pipeline's benchmarks run it as is.
func (rs *ruleSet) checkText(d textDraft, collect bool) *checkedText {
	out := &checkedText{Title: d.Title}
	allowImages := d.Staff || d.TrustLevel >= d.ImagesFrom
	opt := RenderOptions{AllowImages: allowImages, MemberExists: d.MemberExists}
	r := Render(d.Body, opt)
	var titleMask, bodyMask []WordMatch
	if rs.words != nil {
		if d.Title != "" {
			titleMask = rs.wordHits(out, d, rs.words.Match(d.Title), d.Title, "title", collect)
		}
		found := rs.words.Match(unmentioned(d.Body, r.Mentions))
		if len(r.Code) > 0 {
			// Code is quoted, not said: "net.Conn" is no insult.
			found = slices.DeleteFunc(found, func(m WordMatch) bool { return Within(r.Code, m.Start, m.End) })
		}
		bodyMask = rs.wordHits(out, d, found, d.Body, "body", collect)
	}
	body := d.Body
	if len(titleMask) > 0 {
		out.Title = mask(d.Title, titleMask)
	}
	if len(bodyMask) > 0 {
		body = mask(d.Body, bodyMask)
		r = Render(body, opt)
	}
	out.Prepared = Prepared{Markdown: body, HTML: Sanitize(r.HTML, allowImages), Rendered: r}

	for _, rule := range rs.links {
		rs.checkLinks(out, d, rule, &r, collect)
	}
	if !d.Staff && len(r.Mentions) > d.MentionsMax {
		for _, rule := range rs.mentions {
			out.hit(rule, "mentions", len(r.Mentions), d.MentionsMax, "", "body", collect)
		}
	}
	out.Verdict.decide()
	return out
}

// unmentioned is text with the @ of each mention of an existing member
// blanked, its length and offsets unchanged: a leading @ reads as an "a"
// ("@ssholes" is an evasion), but "@bob", a member, reads as "bob".
func unmentioned(text string, names []string) string {
	if len(names) == 0 {
		return text
	}
	b := []byte(text)
	for _, name := range names {
		at := "@" + name
		for i := 0; ; {
			k := strings.Index(text[i:], at)
			if k < 0 {
				break
			}
			k += i
			i = k + len(at)
			if prev, _ := utf8.DecodeLastRuneInString(text[:k]); k > 0 && (isNameRune(prev) || prev == '@' || prev == '+') {
				continue
			}
			// The name ends there, as the mention parser reads it: trailing
			// dots and dashes are punctuation.
			rest := strings.TrimLeft(text[i:], ".-")
			if next, _ := utf8.DecodeRuneInString(rest); rest != "" && (isNameRune(next) || next == '@') {
				continue
			}
			b[k] = ' '
		}
	}
	return string(b)
}

// wordHits records the watched words found in text and returns those to
// mask.
func (rs *ruleSet) wordHits(out *checkedText, d textDraft, found []WordMatch, text, field string, collect bool) []WordMatch {
	var masks []WordMatch
	for _, m := range found {
		rule := rs.byID[m.RuleID]
		if rule == nil || (d.Staff && rule.Action != ActionBlock) {
			continue
		}
		excerpt := text[m.Start:m.End]
		out.hit(rule, "words", 0, 0, excerpt, field, collect)
		if rule.Action == ActionCensor {
			masks = append(masks, m)
		}
	}
	return masks
}

// checkLinks applies a links rule: blocked domains for everyone, the
// number of links by trust level for members.
func (rs *ruleSet) checkLinks(out *checkedText, d textDraft, rule *Rule, r *Rendered, collect bool) {
	if d.Staff && rule.Action != ActionBlock {
		return
	}
	if len(rule.Params.BlockDomains) > 0 {
		for _, u := range slices.Concat(r.Links, r.Images, r.CodeLinks) {
			if host := linkHost(u); host != "" && domainListed(host, rule.Params.BlockDomains) {
				out.hit(rule, "link_domain", 0, 0, host, "body", collect)
				if !collect {
					break
				}
			}
		}
	}
	if !rule.Params.Limit || d.Staff || d.LinksMax < 0 {
		return
	}
	n := 0
	for _, u := range r.Links {
		if len(rule.Params.AllowDomains) == 0 || !domainListed(linkHost(u), rule.Params.AllowDomains) {
			n++
		}
	}
	if n > d.LinksMax {
		out.hit(rule, "links", n, d.LinksMax, "", "body", collect)
	}
}

// hit records that rule hit the text: what (the kind of reason), the
// count and the limit it broke or the excerpt it found.
func (out *checkedText) hit(rule *Rule, what string, count, limit int, excerpt, field string, collect bool) {
	if collect {
		ex := excerpt
		if ex == "" {
			ex = strconv.Itoa(count)
		}
		out.Matches = append(out.Matches, Match{Rule: rule.Ref(), Action: rule.Action, Excerpt: ex})
	}
	r := reasonFor(rule, what)
	r.Excerpt, r.field = excerpt, field
	r.Args = map[string]any{"Rule": rule.Name, "Description": rule.Description}
	switch what {
	case "words":
		r.Args["Excerpt"] = excerpt
	case "link_domain":
		r.Args["Domain"] = excerpt
	case "links", "mentions":
		r.Args["Found"], r.Args["Max"] = count, limit // Max chooses the plural form
	}
	out.Verdict.add(r)
}

// mask replaces the letters and digits of the matched words in s with •,
// one per character, keeping the punctuation and the Markdown around them.
func mask(s string, matches []WordMatch) string {
	var b strings.Builder
	b.Grow(len(s) + 2*len(matches)*8)
	at := 0
	for _, m := range matches {
		if m.Start < at {
			m.Start = at // overlapping matches
		}
		if m.End <= m.Start {
			continue
		}
		b.WriteString(s[at:m.Start])
		for _, r := range s[m.Start:m.End] {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune("$@€!|", r) {
				if !unicode.IsMark(r) {
					b.WriteRune('•')
				}
				continue
			}
			b.WriteRune(r)
		}
		at = m.End
	}
	b.WriteString(s[at:])
	return b.String()
}

// linkHost returns the lower-cased host of a link (the domain of a mailto
// address), "" when there is none.
func linkHost(u string) string {
	if len(u) > 7 && strings.EqualFold(u[:7], "mailto:") {
		addr := u[7:]
		if i := strings.IndexAny(addr, "?#"); i >= 0 {
			addr = addr[:i]
		}
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
		}
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(parsed.Hostname()), ".")
}

// domainListed reports whether host is one of domains or a subdomain of one.
func domainListed(host string, domains []string) bool {
	if host == "" {
		return false
	}
	for _, d := range domains {
		if host == d || (strings.HasSuffix(host, d) && host[len(host)-len(d)-1] == '.') {
			return true
		}
	}
	return false
}
