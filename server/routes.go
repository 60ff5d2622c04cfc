package server

// routes registers every route of the server, in one place.
func (s *Server) routes() {
	e := s.engine
	e.Use(requestID(), s.accessLog(), s.recovery(), s.securityHeaders(), s.limitBody(), s.authenticate())
	e.NoRoute(s.notFoundHandler)
	e.NoMethod(s.methodNotAllowed)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*file", s.assets.serve)
	e.HEAD("/static/*file", s.assets.serve)

	e.GET("/", s.htmlHome)

	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.apiOpenAPI)
	api.GET("/me", s.apiMe)
	api.GET("/categories", s.apiCategories)
	api.POST("/categories", s.apiCreateCategory)
}
