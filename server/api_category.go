package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

func (s *Server) apiCategories(c *gin.Context) {
	cats, err := s.db.Categories(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if cats == nil {
		cats = []forum.Category{}
	}
	s.writeJSON(c, http.StatusOK, gin.H{"categories": cats})
}

type createCategoryRequest struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
	Position    int    `json:"position"`
	ReadOnly    bool   `json:"read_only"`
}

func (s *Server) apiCreateCategory(c *gin.Context) {
	var req createCategoryRequest
	if !s.bindJSON(c, &req) {
		return
	}
	cat, err := s.db.CreateCategory(c.Request.Context(), forum.NewCategory(req))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"category": cat})
}

func (s *Server) apiUpdateCategory(c *gin.Context) {
	id, ok := s.pathID(c, "id", "category.not_found")
	if !ok {
		return
	}
	var req createCategoryRequest
	if !s.bindJSON(c, &req) {
		return
	}
	cat, err := s.db.UpdateCategory(c.Request.Context(), id, forum.NewCategory(req))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"category": cat})
}

func (s *Server) apiDeleteCategory(c *gin.Context) {
	id, ok := s.pathID(c, "id", "category.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteCategory(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
