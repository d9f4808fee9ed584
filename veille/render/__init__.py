"""Renderers: pure functions from selected data (EntryView…) to bytes — HTML pages, output
feeds (RSS, Atom, JSON Feed), OPML and e-mail. No database, no network, no clock."""
