package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// uploadPolicy is the Content-Security-Policy of every uploaded file: it
// may load nothing and run nothing, even opened on its own in a tab.
const uploadPolicy = "default-src 'none'; sandbox; frame-ancestors 'none'"

// uploadRoutes are the routes whose requests carry a file: their bodies may
// be as large as the largest upload the settings allow.
var uploadRoutes = map[string]bool{
	"/api/v1/uploads":   true,
	"/api/v1/me/avatar": true,
	"/account/avatar":   true,
	// The post forms, whose file input works without JavaScript.
	"/new":         true,
	"/t/:id/reply": true,
	"/p/:id/edit":  true,
}

// maxUploadBody is the largest body of an upload route: the largest file
// any setting allows, and room for the multipart envelope.
const maxUploadBody = forum.MaxUploadKB*1024 + 64*1024

// serveUpload answers /uploads/<sha256>.<ext> to whoever may see it. The
// address names the bytes, which never change: the answer is cacheable
// for good (immutable, ETag the sha256), and ranges are served. An image
// is one the forum encoded itself, shown inline; anything else is
// downloaded (Content-Disposition: attachment). No answer may be sniffed
// into something else, nor run anything.
func (s *Server) serveUpload(c *gin.Context) {
	sha, ext, _ := strings.Cut(c.Param("file"), ".")
	if !isSHA256(sha) {
		s.fail(c, forum.Errorf(forum.ENOTFOUND, "uploads.not_found", nil))
		return
	}
	// RequestTimeout bounds the work before the answer (deadline leaves
	// this route to it), not the sending of the file, which ends with the
	// client or the server's WriteTimeout: a file read from the object store
	// as it goes out must not be cut at the deadline.
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	var timer *time.Timer
	if s.cfg.RequestTimeout > 0 {
		timer = time.AfterFunc(s.cfg.RequestTimeout, cancel)
		defer timer.Stop()
	}
	u, err := s.db.UploadBySHA(ctx, sha)
	if err == nil && u.Ext != ext {
		err = forum.Errorf(forum.ENOTFOUND, "uploads.not_found", nil)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", uploadPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", u.ContentType)
	h.Set("ETag", `"`+u.SHA256+`"`)
	if u.Public {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// Its uploader's and staff's only, until a published post shows it.
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	}
	disposition := "inline"
	if !u.Inline() {
		disposition = "attachment"
	}
	name := u.OriginalName
	if name == "" {
		name = u.SHA256 + "." + u.Ext
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	if etagMatches(c.GetHeader("If-None-Match"), u.SHA256) {
		c.Status(http.StatusNotModified)
		return
	}
	// From PostgreSQL or an object store alike: the bytes are seekable,
	// ServeContent serves the ranges. The request's turn goes back first:
	// an object store that answers slowly, or a client that reads slowly,
	// must not keep the forum's pages waiting.
	forum.YieldTurn(ctx)
	blob, err := s.db.OpenUpload(ctx, &u.Upload)
	if timer != nil && !timer.Stop() && err == nil {
		// The deadline passed as the file opened.
		blob.Close()
		err = forum.Errorf(forum.EUNAVAILABLE, "uploads.store_unavailable", nil)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	defer blob.Close()
	http.ServeContent(c.Writer, c.Request, "", u.CreatedAt, blob)
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// etagMatches reports whether an If-None-Match header names the upload.
func etagMatches(header, sha string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == `"`+sha+`"` {
			return true
		}
	}
	return false
}

// uploadedFile reads the "file" part of a multipart request, once the
// member is known to be allowed to upload (forum.DB.UploadLimit): at most
// their limit, so that a file too large is refused without being kept.
func (s *Server) uploadedFile(c *gin.Context, avatar bool) ([]byte, string, error) {
	limit, err := s.db.UploadLimit(c.Request.Context(), avatar)
	if err != nil {
		return nil, "", err
	}
	if form := c.Request.MultipartForm; form != nil {
		// A page's form, parsed already (refuseInvalidForms).
		files := form.File["file"]
		if len(files) == 0 || files[0].Size == 0 && files[0].Filename == "" {
			return nil, "", forum.Errorf(forum.EINVALID, "uploads.no_file", nil).OnField("file")
		}
		if files[0].Size > limit {
			return nil, "", forum.Errorf(forum.ETOOLARGE, "uploads.too_large", map[string]any{"Max": limit / 1024}).OnField("file")
		}
		f, err := files[0].Open()
		if err != nil {
			return nil, "", forum.Internal("reading an uploaded file", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, limit+1))
		if err != nil {
			return nil, "", forum.Internal("reading an uploaded file", err)
		}
		return data, files[0].Filename, nil
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, "", forum.Errorf(forum.EINVALID, "uploads.no_file", nil).OnField("file")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", forum.Errorf(forum.EINVALID, "uploads.no_file", nil).OnField("file")
		}
		if err != nil {
			return nil, "", tooLargeOr(err, limit)
		}
		if part.FormName() != "file" {
			continue
		}
		return readPart(part, limit)
	}
}

func readPart(part *multipart.Part, limit int64) ([]byte, string, error) {
	data, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, "", tooLargeOr(err, limit)
	}
	if int64(len(data)) > limit {
		return nil, "", forum.Errorf(forum.ETOOLARGE, "uploads.too_large", map[string]any{"Max": limit / 1024}).OnField("file")
	}
	return data, part.FileName(), nil
}

// tooLargeOr is the error of a multipart body that could not be read: too
// large for the route, or malformed.
func tooLargeOr(err error, limit int64) error {
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		return forum.Errorf(forum.ETOOLARGE, "uploads.too_large", map[string]any{"Max": limit / 1024}).OnField("file")
	}
	return forum.Errorf(forum.EINVALID, "uploads.no_file", nil).OnField("file")
}

// uploadJSON is an upload as the API answers it.
type uploadJSON struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	Markdown    string `json:"markdown"`
}

func newUploadJSON(u *forum.Upload) uploadJSON {
	out := uploadJSON{ID: u.ID, URL: u.URL(), Width: u.Width, Height: u.Height, ContentType: u.ContentType, Size: u.Size, Name: u.OriginalName}
	alt := markdownText(strings.TrimSuffix(u.OriginalName, "."+u.Ext))
	if u.Inline() {
		out.Markdown = "![" + alt + "](" + u.URL() + ")"
	} else {
		out.Markdown = "[" + markdownText(u.OriginalName) + "](" + u.URL() + ")"
	}
	return out
}

// markdownText escapes what would end a link's text.
func markdownText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "\n", " ", "\r", " ").Replace(s)
}

// apiCreateUpload stores a file for the member's posts: 201 with its
// address and, for an image, its size in pixels.
func (s *Server) apiCreateUpload(c *gin.Context) {
	data, name, err := s.uploadedFile(c, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.db.StoreUpload(c.Request.Context(), data, name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, newUploadJSON(u))
}

// apiSetAvatar makes an uploaded picture the member's avatar.
func (s *Server) apiSetAvatar(c *gin.Context) {
	data, _, err := s.uploadedFile(c, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	avatar, err := s.db.SetAvatar(c.Request.Context(), data)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"member": forum.MemberFrom(c.Request.Context()), "avatar": avatarJSON(avatar)})
}

// apiDeleteAvatar brings the generated avatar back.
func (s *Server) apiDeleteAvatar(c *gin.Context) {
	if err := s.db.DeleteAvatar(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"member": forum.MemberFrom(c.Request.Context()), "avatar": nil})
}

// avatarJSON is an avatar's URLs by size in pixels.
func avatarJSON(a forum.Avatar) map[string]string {
	out := make(map[string]string, len(a))
	for size, url := range a {
		out[strconv.Itoa(size)] = url
	}
	return out
}

// attachFormFile stores the file of a post form's "file" field, if one was
// chosen, and adds its Markdown at the end of the form's body: the forms
// work without JavaScript. A refused file is an error on the field, the
// form and what was typed coming back as they were.
func (s *Server) attachFormFile(c *gin.Context, form *Form) error {
	mf := c.Request.MultipartForm
	if mf == nil || len(mf.File["file"]) == 0 || mf.File["file"][0].Size == 0 && mf.File["file"][0].Filename == "" {
		return nil
	}
	data, name, err := s.uploadedFile(c, false)
	if err == nil && len(data) == 0 {
		err = forum.Errorf(forum.EINVALID, "uploads.no_file", nil).OnField("file")
	}
	if err != nil {
		return err
	}
	u, err := s.db.StoreUpload(c.Request.Context(), data, name)
	if err != nil {
		if fe := forum.AsError(err); fe.Field == "" && fe.Code != forum.EINTERNAL && fe.Code != forum.EUNAUTHORIZED {
			err = fe.OnField("file")
		}
		return err
	}
	body := strings.TrimRight(form.Values["body"], " \t\r\n")
	if body != "" {
		body += "\n\n"
	}
	form.Values["body"] = body + newUploadJSON(u).Markdown
	return nil
}
