package server

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"
)

// openAPIFiles describe the JSON API: base.json holds the document's frame
// and shared schemas, each other file the paths and schemas of one area.
// They are merged once at start-up; a test checks that every /api/v1 route
// is described.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

type openAPIPart struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"` // path → method → operation
	Components struct {
		Schemas   map[string]json.RawMessage `json:"schemas"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

// buildOpenAPI merges the parts into one document: parts may describe
// different methods of one path (GET /me and PATCH /me); an operation or a
// schema defined twice is an error.
func buildOpenAPI() ([]byte, error) {
	var doc map[string]any
	base, err := openAPIFiles.ReadFile("openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := map[string]map[string]json.RawMessage{}
	components := doc["components"].(map[string]any)
	schemas := components["schemas"].(map[string]any)
	names, _ := fs.Glob(openAPIFiles, "openapi/*.json")
	sort.Strings(names)
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		b, _ := openAPIFiles.ReadFile(name)
		var part openAPIPart
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for p, ops := range part.Paths {
			if paths[p] == nil {
				paths[p] = map[string]json.RawMessage{}
			}
			for method, op := range ops {
				if _, dup := paths[p][method]; dup {
					return nil, fmt.Errorf("%s: %s %s is described twice", name, method, p)
				}
				paths[p][method] = op
			}
		}
		for s, v := range part.Components.Schemas {
			if _, dup := schemas[s]; dup {
				return nil, fmt.Errorf("%s: schema %s is described twice", name, s)
			}
			schemas[s] = v
		}
	}
	doc["paths"] = paths
	return json.Marshal(doc)
}

func (s *Server) apiOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", s.openAPI)
}
