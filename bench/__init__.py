"""veille's benchmark: ``make bench`` (``python -m bench``), side by side with lemon24/reader.

The run, written down once::

    corpus.write_corpus (N WordPress-like French feeds, some Atom, into a temp dir)
      | server.CorpusServer (aiohttp on 127.0.0.1, separate process: ETag, Last-Modified, 304)
      | refresh.veille_refresh / peer.reader_refresh   first full refresh, then a no-change cycle
      | bigstore.build_store (100k / 1M entries, cached in ~/.cache/veille-bench)
      | queries.* (search, filtered list, GET /, /feed.rss, retag) and peer.reader_search
      | report.write_report (table on stdout and in BENCHMARKS.md, with the machine and targets)

Every server and loop here is bounded (deadlines, fixed repetitions) and binds 127.0.0.1 only.
"""
