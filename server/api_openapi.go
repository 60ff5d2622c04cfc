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
	Paths      map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas   map[string]json.RawMessage `json:"schemas"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

// buildOpenAPI merges the parts into one document; a path or schema defined
// twice is an error.
func buildOpenAPI() ([]byte, error) {
	var doc map[string]any
	base, err := openAPIFiles.ReadFile("openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := map[string]json.RawMessage{}
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
		for p, v := range part.Paths {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("%s: path %s is described twice", name, p)
			}
			paths[p] = v
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
