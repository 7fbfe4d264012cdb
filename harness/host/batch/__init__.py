"""Grade many candidates' submissions into a resumable SQLite gradebook, and export or report on it."""
