package server

// routes registers every route of the server, in one place, grouped by area.
func (s *Server) routes() {
	e := s.engine
	e.Use(requestID(), s.accessLog(), s.countRequests(), s.recovery(), s.securityHeaders(), compress(), s.limitBody(), s.authenticate(), s.requireGuidelines())
	e.NoRoute(s.notFoundHandler)
	e.NoMethod(s.methodNotAllowed)

	// Operations and assets.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.serveMetrics)
	e.GET("/static/*file", s.assets.serve)
	e.HEAD("/static/*file", s.assets.serve)

	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.apiOpenAPI)

	// Foundation.
	e.GET("/", s.cached, s.htmlHome)
	e.GET("/lang/:code", s.htmlSetLanguage)
	e.GET("/guidelines", s.cached, s.htmlGuidelines)
	e.GET("/guidelines/accept", s.htmlGuidelinesAcceptForm)
	e.POST("/guidelines/accept", s.htmlGuidelinesAccept)
	e.GET("/admin/guidelines", s.htmlAdminGuidelinesForm)
	e.POST("/admin/guidelines", s.htmlAdminGuidelines)
	api.GET("/guidelines", s.apiGuidelines)
	api.PUT("/guidelines", s.apiPublishGuidelines)
	api.GET("/categories", s.apiCategories)
	api.POST("/categories", s.apiCreateCategory)

	// Members: accounts, sessions, profiles.
	api.GET("/me", s.apiMe)

	// Forum: categories, threads, posts, reading, notifications, search, feeds.

	// Moderation: the pipeline's outcomes, reports, review queue, log.

	// Administration: guidelines, rules, settings, people.
}
