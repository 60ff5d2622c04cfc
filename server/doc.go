// Package server is Palabre's HTTP side: the Gin engine, middleware, sessions
// and authentication, HTML pages, the JSON API, error mapping, templates,
// translations and static assets. It is the only package that knows HTTP;
// its handlers parse a request, call one forum or moderation method and render.
package server
