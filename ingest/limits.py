"""Every limit that keeps parsing a hostile file bounded in time and memory, in one place (docs/cli.md lists them)."""
from __future__ import annotations

MiB = 1 << 20

# Any single input file; larger ones are refused before they are read.
MAX_FILE_BYTES = 64 * MiB
# Extracted text of one document, in characters (a 10 MB upload of plain text fits).
MAX_TEXT_CHARS = 12_000_000
# A document needs this many words after cleaning; fewer is a page of navigation or a stub.
MIN_WORDS = 5
# Titles keep this many characters at most.
MAX_TITLE_CHARS = 200

# Zip-based formats (DOCX): checked on the central directory before anything is decompressed.
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_UNCOMPRESSED_BYTES = 256 * MiB  # declared total, and a hard cap on what is actually inflated
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for entries above ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1 * MiB
# Parts read whole (relationships, core properties) rather than streamed.
MAX_ZIP_SMALL_PART_BYTES = 1 * MiB
# Elements of a Word document's XML or an HTML page: this many, and this many more per character of text (a table of
# figures has about nine per digit). Past that it is markup with next to no text, a bomb of a million empty
# paragraphs that compresses past any ratio and costs a worker seconds and hundreds of MB per 10 MB.
MAX_MARKUP_ELEMENTS = 200_000
MAX_MARKUP_ELEMENTS_PER_CHAR = 10
# And a Word document's XML elements in all, whatever its text: each costs the parse about 3.5 us (8 million runs of
# two letters, 7.7 MB zipped, took 57 s); a book of a thousand pages has well under a million.
MAX_DOCX_ELEMENTS = 2_000_000

# PDF: pages read at most (pypdf itself caps every decompressed stream at 75 MB).
MAX_PDF_PAGES = 2_000
# PDF page content (drawing operators) parsed, in bytes: this many, and this many more per character of text found.
# Pages may share one content stream: 2,000 pages drawing the same 7 MB of lines, a 425 KB file, took 39 s. pypdf
# reads about 1 MB of operators a second; typeset text draws 3-4 bytes per character (word processors' up to ~15), so
# text earns 40: 64 MB and 100 per character let a 4.7 KB file of 30 pages of "q Q" take 80 s, and 40 pages each
# writing 100,000 characters beside 3.6 MB of moves take 120 s.
MAX_PDF_CONTENT_BYTES = 8 * MiB
MAX_PDF_CONTENT_BYTES_PER_CHAR = 40
# And however much a PDF's text earns, reading it stops after this long (checked between pages): a worker checks one
# upload at a time, and 2,000 pages of typeset text (about 6 million characters) read in about 20 s.
MAX_PDF_READ_SECONDS = 30
# And the character maps (ToUnicode) of the fonts the pages use, counted on every page that uses them, since pypdf
# reads a font's map again for each page: 300 pages sharing one map of 60,000 entries (219 KB) took 75 s and 1 GB.
MAX_PDF_FONT_MAP_BYTES = 4 * MiB
MAX_PDF_FONT_MAP_BYTES_PER_CHAR = 1_000

# HTML above this many characters skips trafilatura (superlinear: 8 MB took 14 s) for a linear extraction.
MAX_TRAFILATURA_CHARS = 1_000_000
# Nor a page of more elements: its time grows with them (128,000 empty paragraphs in 900 KB took 2.8 s); an article
# page has a few thousand.
MAX_TRAFILATURA_ELEMENTS = 25_000
