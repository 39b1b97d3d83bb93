"""Small helpers both apps use (partial dates, translation fallback, the local PostgreSQL); they import neither app."""
