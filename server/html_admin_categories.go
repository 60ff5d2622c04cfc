package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type adminCategoriesPage struct {
	Categories []forum.Category
	Forms      map[int64]*Form // one edit form per category; a refused one keeps what was typed
	New        *Form           // the creation form
	Notice     string
}

var categoryFields = []string{"name", "slug", "description", "position", "read_only"}

func categoryForm(c *forum.Category) *Form {
	ro := ""
	if c.ReadOnly {
		ro = "1"
	}
	return &Form{Values: map[string]string{
		"name": c.Name, "slug": c.Slug, "description": c.Description,
		"position": strconv.Itoa(c.Position), "read_only": ro,
	}, Errors: map[string]string{}}
}

// newCategoryFrom reads a category form; a position that is not a number
// is an error on its field.
func newCategoryFrom(f *Form) (forum.NewCategory, error) {
	nc := forum.NewCategory{Name: f.Get("name"), Slug: f.Get("slug"), Description: f.Get("description"), ReadOnly: f.Get("read_only") == "1"}
	if p := strings.TrimSpace(f.Get("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nc, forum.Errorf(forum.EINVALID, "category.position_invalid", nil).OnField("position")
		}
		nc.Position = n
	}
	return nc, nil
}

// htmlAdminCategories lists the categories with their edit forms (admins).
func (s *Server) htmlAdminCategories(c *gin.Context) {
	s.renderAdminCategories(c, http.StatusOK, nil, nil, c.Query("done"))
}

func (s *Server) renderAdminCategories(c *gin.Context, status int, failed map[int64]*Form, newForm *Form, done string) {
	ctx := c.Request.Context()
	if err := forum.RequireAdmin(ctx); err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.db.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminCategoriesPage{Categories: cats, Forms: map[int64]*Form{}, New: newForm}
	for i := range cats {
		v.Forms[cats[i].ID] = categoryForm(&cats[i])
	}
	for id, f := range failed {
		v.Forms[id] = f
	}
	if v.New == nil {
		v.New = &Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	switch done {
	case "created":
		v.Notice = s.lang(c).T("category.admin_created")
	case "updated":
		v.Notice = s.lang(c).T("category.admin_updated")
	case "deleted":
		v.Notice = s.lang(c).T("category.admin_deleted")
	}
	s.render(c, status, "admin_categories", s.lang(c).T("category.admin_title"), v)
}

// htmlAdminCreateCategory creates a category from the form at the bottom.
func (s *Server) htmlAdminCreateCategory(c *gin.Context) {
	form := readForm(c, categoryFields...)
	nc, err := newCategoryFrom(form)
	if err == nil {
		_, err = s.db.CreateCategory(c.Request.Context(), nc)
	}
	if err != nil {
		if forum.ErrorCode(err) == forum.EUNAUTHORIZED || forum.ErrorCode(err) == forum.EFORBIDDEN {
			s.fail(c, err)
			return
		}
		s.renderAdminCategories(c, s.setError(c, form, err), nil, form, "")
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/categories?done=created")
}

// htmlAdminUpdateCategory saves one category's form.
func (s *Server) htmlAdminUpdateCategory(c *gin.Context) {
	id, ok := s.pathID(c, "id", "category.not_found")
	if !ok {
		return
	}
	form := readForm(c, categoryFields...)
	nc, err := newCategoryFrom(form)
	if err == nil {
		_, err = s.db.UpdateCategory(c.Request.Context(), id, nc)
	}
	if err != nil {
		switch forum.ErrorCode(err) {
		case forum.EUNAUTHORIZED, forum.EFORBIDDEN, forum.ENOTFOUND:
			s.fail(c, err)
			return
		}
		s.renderAdminCategories(c, s.setError(c, form, err), map[int64]*Form{id: form}, nil, "")
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/categories?done=updated")
}

// htmlAdminDeleteCategory deletes an empty category.
func (s *Server) htmlAdminDeleteCategory(c *gin.Context) {
	id, ok := s.pathID(c, "id", "category.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteCategory(c.Request.Context(), id); err != nil {
		if forum.ErrorCode(err) == forum.ECONFLICT {
			form := &Form{Values: map[string]string{}, Errors: map[string]string{}}
			if cat, cerr := s.db.CategoryByID(c.Request.Context(), id); cerr == nil {
				form = categoryForm(cat)
			}
			status := s.setError(c, form, err)
			s.renderAdminCategories(c, status, map[int64]*Form{id: form}, nil, "")
			return
		}
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/categories?done=deleted")
}
