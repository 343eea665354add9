"""Lucene-style immutable segments: the embedded store's versions cost what they change.

`segment` (one write's rows, postings, vectors), `tables` (a segment's SQLite tables), `stats` (corpus
statistics kept running), `view` (rows over segments and deletions), `snapshot` (a published version for
ranking), `writer` (new segments, deletions, publish), `merge` (tiered merge)
and `layout` (versions naming segments, GC).
"""
