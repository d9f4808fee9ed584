"""feeds.yaml: loading with file:line errors, source checks, durations, live reload, OPML import."""
