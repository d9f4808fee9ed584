"""Getting articles in: the update pipeline, fetching (HTTP, IMAP), the parser worker pool."""
