package api

func (s *Server) registerDashboard() {}
