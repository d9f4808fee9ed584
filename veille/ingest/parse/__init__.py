"""Bytes to entries, pure. Imported only inside worker processes (an import-linter contract):
the process that holds the database and the HTTP client never loads feedparser or nh3."""
