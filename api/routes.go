package api

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) registerRoutes() {
	s.handle("GET", "/healthz", Public, s.healthz)
	s.handle("GET", "/metrics", Public, func(c *call) error {
		s.metricsHandler().ServeHTTP(c.w, c.r)
		return nil
	})
	s.handle("GET", "/openapi.json", Public, func(c *call) error {
		c.w.Header().Set("Content-Type", "application/json")
		_, err := c.w.Write(openAPIDocument)
		return err
	})
	s.registerReads()
	s.registerTokens()
	s.registerCosign()
	s.registerWrites()
	s.registerDashboard()
	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, notFound("no route %s %s; the API is described at /openapi.json", r.Method, r.URL.Path))
	})
}
