package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// writeThreadJSON answers a page of a thread as writeJSON answers
// gin.H{"thread": t, "posts": posts, "next": next}, byte for byte (a test
// compares them), but writes the posts itself: encoding/json escaped every
// post's body again for every reader, a quarter of the request. The bodies
// of posts from a snapshot come escaped already (Post.BodyJSON).
func (s *Server) writeThreadJSON(c *gin.Context, t *forum.Thread, page *forum.PostPage) {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufferPool.Put(buf)
	if err := appendThreadJSON(buf, t, page); err != nil {
		s.fail(c, err)
		return
	}
	const ctype = "application/json; charset=utf-8"
	s.pageCache.storeAs(c, http.StatusOK, ctype, buf.Bytes())
	c.Data(http.StatusOK, ctype, buf.Bytes())
}

// appendThreadJSON writes the object's keys in encoding/json's order for a
// map: next, posts, thread.
func appendThreadJSON(buf *bytes.Buffer, t *forum.Thread, page *forum.PostPage) error {
	buf.WriteString(`{"next":`)
	if page.Next > 0 {
		buf.WriteString(strconv.Itoa(page.Next))
	} else {
		buf.WriteString("null")
	}
	buf.WriteString(`,"posts":[`)
	var scratch [64]byte
	for i := range page.Posts {
		if i > 0 {
			buf.WriteByte(',')
		}
		appendPostJSON(buf, &page.Posts[i], scratch[:0])
	}
	buf.WriteString(`],"thread":`)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	buf.WriteByte('}')
	return nil
}

// appendPostJSON writes a post as apiPost encodes.
func appendPostJSON(buf *bytes.Buffer, p *forum.Post, scratch []byte) {
	buf.WriteString(`{"id":`)
	buf.Write(strconv.AppendInt(scratch, p.ID, 10))
	buf.WriteString(`,"thread_id":`)
	buf.Write(strconv.AppendInt(scratch, p.ThreadID, 10))
	buf.WriteString(`,"number":`)
	buf.Write(strconv.AppendInt(scratch, int64(p.Number), 10))
	buf.WriteString(`,"author":`)
	if p.AuthorID == nil {
		buf.WriteString("null")
	} else {
		buf.WriteString(`{"id":`)
		buf.Write(strconv.AppendInt(scratch, *p.AuthorID, 10))
		buf.WriteString(`,"username":`)
		name := ""
		if p.AuthorName != nil {
			name = *p.AuthorName
		}
		appendJSONString(buf, name)
		buf.WriteByte('}')
	}
	if p.ReplyTo != nil {
		buf.WriteString(`,"reply_to":`)
		buf.Write(strconv.AppendInt(scratch, int64(*p.ReplyTo), 10))
	}
	buf.WriteString(`,"html":`)
	if p.BodyJSON != "" {
		buf.WriteString(p.BodyJSON)
	} else {
		appendJSONString(buf, p.BodyHTML)
	}
	buf.WriteString(`,"status":`)
	appendJSONString(buf, p.Status)
	if p.Redacted {
		buf.WriteString(`,"redacted":true`)
	}
	if p.Removal != "" {
		buf.WriteString(`,"removed_by":`)
		appendJSONString(buf, p.Removal)
	}
	if p.RemovalRule != "" {
		buf.WriteString(`,"removed_rule":`)
		appendJSONString(buf, p.RemovalRule)
	}
	buf.WriteString(`,"created_at":`)
	appendJSONTime(buf, p.CreatedAt, scratch)
	if p.EditedAt != nil {
		buf.WriteString(`,"edited_at":`)
		appendJSONTime(buf, *p.EditedAt, scratch)
	}
	buf.WriteString(`,"edit_count":`)
	buf.Write(strconv.AppendInt(scratch, int64(p.EditCount), 10))
	buf.WriteString(`,"like_count":`)
	buf.Write(strconv.AppendInt(scratch, int64(p.LikeCount), 10))
	buf.WriteString(`,"liked":`)
	buf.Write(strconv.AppendBool(scratch, p.Liked))
	buf.WriteByte('}')
}

// appendJSONString writes s as a JSON string: as is when it holds only
// printable ASCII that needs no escape (names, statuses), else through
// forum.JSONString.
func appendJSONString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			buf.WriteString(forum.JSONString(s))
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

// appendJSONTime writes t as time.Time's MarshalJSON does: RFC 3339 with
// nanoseconds (which refuses years past 9999, never read from the database).
func appendJSONTime(buf *bytes.Buffer, t time.Time, scratch []byte) {
	b := append(scratch, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	buf.Write(append(b, '"'))
}
