package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// memberFilterFrom reads the people list's search from a query string.
func memberFilterFrom(c *gin.Context) (forum.MemberFilter, error) {
	f := forum.MemberFilter{Query: c.Query("q"), Role: forum.Role(c.Query("role")), Status: c.Query("status")}
	if tl := c.Query("trust_level"); tl != "" {
		n, err := strconv.Atoi(tl)
		if err != nil {
			return f, forum.Errorf(forum.EINVALID, "member.trust_level_invalid", nil).OnField("trust_level")
		}
		f.TrustLevel = &n
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return f, forum.Errorf(forum.EINVALID, "admin.limit_invalid", map[string]any{"Min": 1, "Max": 200}).OnField("limit")
		}
		f.Limit = n
	}
	var err error
	f.After, err = forum.ParseMemberCursor(c.Query("after"))
	return f, err
}

type adminMembersPage struct {
	Search   *Form
	Members  []forum.AdminMember
	NextURL  string
	Roles    []forum.Role
	Levels   []int
	Statuses []string
}

var allRoles = []forum.Role{forum.RoleMember, forum.RoleModerator, forum.RoleAdmin}

// htmlAdminMembers lists and searches the members (admins).
func (s *Server) htmlAdminMembers(c *gin.Context) {
	search := &Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"q", "role", "trust_level", "status"} {
		search.Values[k] = c.Query(k)
	}
	page := adminMembersPage{Search: search, Members: []forum.AdminMember{}, Roles: allRoles, Levels: trustLevels, Statuses: forum.MemberStatusFilters}
	status := http.StatusOK
	f, err := memberFilterFrom(c)
	var res *forum.MemberPage
	if err == nil {
		res, err = s.db.SearchMembers(c.Request.Context(), f)
	}
	if err != nil {
		if code := forum.ErrorCode(err); code != forum.EINVALID {
			s.fail(c, err)
			return
		}
		status = s.setError(c, search, err)
	} else {
		page.Members = res.Members
		if res.Next != 0 {
			q := c.Request.URL.Query()
			q.Set("after", strconv.FormatInt(res.Next, 10))
			page.NextURL = "/admin/members?" + q.Encode()
		}
	}
	s.render(c, status, "admin_members", s.lang(c).T("admin.members_title"), page)
}

type adminMemberPage struct {
	M          *forum.AdminMember
	Categories []forum.Category
	Moderates  map[int64]bool
	Sanctions  []forum.Sanction
	Roles      []forum.Role
	Levels     []int
	Form       *Form
	Notice     string
	IsAdmin    bool // moderators see the sanctions only
	Now        time.Time
	// SilencedToo: a suspended or banned member is also silenced beyond.
	SilencedToo bool
}

// htmlAdminMember shows one member with what admins may change.
func (s *Server) htmlAdminMember(c *gin.Context) {
	s.renderAdminMember(c, http.StatusOK, nil, c.Query("done"))
}

func (s *Server) renderAdminMember(c *gin.Context, status int, f *Form, done string) {
	id, ok := s.pathID(c, "id", "member.not_found")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	m, err := s.db.StaffMemberByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.db.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	sanctions, err := s.db.MemberSanctions(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f == nil {
		f = &Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	page := adminMemberPage{M: m, Categories: cats, Moderates: map[int64]bool{}, Sanctions: sanctions, Roles: allRoles, Levels: trustLevels, Form: f,
		IsAdmin: forum.ActorFrom(ctx).IsAdmin(), Now: time.Now()}
	page.SilencedToo = m.IsSuspended(page.Now) && m.SilencedUntil != nil && page.Now.Before(*m.SilencedUntil)
	for _, cid := range m.ModeratedCategories {
		page.Moderates[cid] = true
	}
	if done != "" && slices.Contains([]string{"role", "trust", "categories", "approved", "waived", "lifted", "shortened"}, done) {
		key := "admin.member_saved_" + done
		page.Notice = s.lang(c).T(key)
	}
	s.render(c, status, "admin_member", m.Username, page)
}

// adminMemberAction runs one change on a member from a form, then comes
// back to the member's page: with a notice, or with the error.
func (s *Server) adminMemberAction(c *gin.Context, done string, fields []string, act func(id int64, f *Form) error) {
	id, ok := s.pathID(c, "id", "member.not_found")
	if !ok {
		return
	}
	// Moderators open the page for its sanctions only; the other forms
	// are the admins' (the domain checks it too, after the form's content).
	if done != "lifted" && done != "shortened" {
		if err := forum.RequireAdmin(c.Request.Context()); err != nil {
			s.fail(c, err)
			return
		}
	}
	f := readForm(c, fields...)
	if err := act(id, f); err != nil {
		switch forum.ErrorCode(err) {
		case forum.EUNAUTHORIZED, forum.ENOTFOUND:
			s.fail(c, err)
			return
		}
		if forum.ErrorCode(err) == forum.EFORBIDDEN && forum.RequireStaff(c.Request.Context()) != nil {
			s.fail(c, err)
			return
		}
		s.renderAdminMember(c, s.setError(c, f, err), f, "")
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/members/"+strconv.FormatInt(id, 10)+"?done="+url.QueryEscape(done))
}

func (s *Server) htmlAdminMemberRole(c *gin.Context) {
	s.adminMemberAction(c, "role", []string{"role"}, func(id int64, f *Form) error {
		return s.db.SetRole(c.Request.Context(), id, forum.Role(f.Get("role")))
	})
}

// htmlAdminMemberTrust sets a trust level by hand (which locks it), or
// "auto" hands it back to the promotion job.
func (s *Server) htmlAdminMemberTrust(c *gin.Context) {
	s.adminMemberAction(c, "trust", []string{"trust_level"}, func(id int64, f *Form) error {
		v := f.Get("trust_level")
		if v == "auto" {
			return s.db.UnlockTrustLevel(c.Request.Context(), id)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return forum.Errorf(forum.EINVALID, "member.trust_level_invalid", nil).OnField("trust_level")
		}
		return s.db.SetTrustLevel(c.Request.Context(), id, n)
	})
}

func (s *Server) htmlAdminMemberCategories(c *gin.Context) {
	s.adminMemberAction(c, "categories", []string{"categories"}, func(id int64, f *Form) error {
		var ids []int64
		for _, v := range c.PostFormArray("category") {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return forum.Errorf(forum.ENOTFOUND, "category.not_found", nil)
			}
			ids = append(ids, n)
		}
		return s.db.SetModeratedCategories(c.Request.Context(), id, ids)
	})
}

func (s *Server) htmlAdminMemberApprove(c *gin.Context) {
	s.adminMemberAction(c, "approved", nil, func(id int64, f *Form) error {
		_, err := s.db.ApproveMember(c.Request.Context(), id)
		return err
	})
}

func (s *Server) htmlAdminMemberWaiveConfirmation(c *gin.Context) {
	s.adminMemberAction(c, "waived", nil, func(id int64, f *Form) error {
		_, err := s.db.WaiveEmailConfirmation(c.Request.Context(), id)
		return err
	})
}

// sanctionChangeForm reads the sanction a lift or shorten form names, on
// the page of the member it must concern.
func sanctionChangeForm(memberID int64, f *Form) (forum.SanctionChange, error) {
	// An id that is no number names no sanction: the domain says so, after
	// checking who asks.
	sid, _ := strconv.ParseInt(f.Get("sanction_id"), 10, 64)
	return forum.SanctionChange{SanctionID: sid, MemberID: memberID, Reason: f.Get("reason")}, nil
}

// htmlAdminMemberLift lifts a sanction of the member (staff who may
// sanction them).
func (s *Server) htmlAdminMemberLift(c *gin.Context) {
	s.adminMemberAction(c, "lifted", []string{"sanction_id", "reason"}, func(id int64, f *Form) error {
		ch, err := sanctionChangeForm(id, f)
		if err == nil {
			_, err = s.db.LiftSanctionByID(c.Request.Context(), ch)
		}
		return err
	})
}

// htmlAdminMemberShorten brings the end of a sanction of the member closer.
func (s *Server) htmlAdminMemberShorten(c *gin.Context) {
	s.adminMemberAction(c, "shortened", []string{"sanction_id", "reason", "days"}, func(id int64, f *Form) error {
		ch, err := sanctionChangeForm(id, f)
		if err != nil {
			return err
		}
		// Who asks first: the form's content is only looked at for staff.
		if err := forum.RequireStaff(c.Request.Context()); err != nil {
			return err
		}
		days, err := strconv.Atoi(strings.TrimSpace(f.Get("days")))
		if err != nil {
			return forum.Errorf(forum.EINVALID, "sanction.days_invalid", nil).OnField("days")
		}
		if ch.Until, err = shortenedUntil(nil, &days); err != nil {
			return err
		}
		_, err = s.db.ShortenSanction(c.Request.Context(), ch)
		if fe, ok := err.(*forum.Error); ok && fe.Field == "until" {
			return fe.OnField("days")
		}
		return err
	})
}
