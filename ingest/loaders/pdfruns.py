"""A PDF page's text as pypdf extracts it, less the line breaks it puts between runs of text drawn on one baseline
(producers that draw a word, or a glyph run, at a time)."""
from __future__ import annotations


# A break pypdf put between two runs of text drawn on one baseline, the second to the right of the first, is no line
# break: pypdf compares each run with the pen's last move, and a producer that moves to the next line after every
# word (ReportLab's drawString writes `(word) Tj T*`) or draws each word as a form of its own had every word on a
# line of its own, which the cleaning joins no more (a line that short may be a heading or a list item).
_SAME_BASELINE = 0.3  # of the larger font size: a wrapped line lies a whole line lower, a superscript ~0.35 higher
_MAX_GAP = 3.0  # font sizes between two runs at most: a wider one is a column, a tab stop, a page number at the edge
_TOUCHING = 0.1  # font sizes: runs closer than that are one word drawn in pieces (glyph runs, letter by letter)
_UPRIGHT = 0.01  # how far from upright (a skew or a rotation) a run may be and still be joined


def page_text(page, widths: "Widths") -> str:
    """The text of a PDF page as pypdf extracts it, but for a line break between two runs drawn on one baseline."""
    runs = _Runs(widths)
    text = page.extract_text(visitor_text=runs.text, visitor_operand_before=runs.before,
                             visitor_operand_after=runs.after) or ""
    if not runs.joined or runs.failed:
        return text
    joined = "".join(runs.parts)
    # What the runs make up is what pypdf extracted, unless some text reached it without a visitor's call (a version
    # of pypdf that changed): then its text as it is.
    return joined if "".join(joined.split()) == "".join(text.split()) else text


def _mult(m: list, n: list) -> list:
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


class _Runs:
    """The runs of text pypdf reports while it extracts a page, in its order, its line break between two runs on one
    baseline replaced by a space (or nothing, where the runs touch: a word drawn a glyph run at a time)."""

    def __init__(self, widths: "Widths") -> None:
        self.parts: list[str] = []
        self.widths = widths
        self.forms: list[list] = [[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]]  # a form's text is placed by the matrix at its Do
        # The last run of text: where it began on the page, its baseline, height, text, font, font size and scale.
        self.last: tuple | None = None
        self.joined = 0
        self.failed = False  # what the visitors could not read leaves the page to pypdf: never an unreadable PDF

    def before(self, operator, operands, cm, tm) -> None:
        if operator == b"Do":
            try:
                self.forms.append(_mult(cm, self.forms[-1]))
            except Exception:
                self.failed = True

    def after(self, operator, operands, cm, tm) -> None:
        if operator == b"Do" and len(self.forms) > 1:
            self.forms.pop()

    def text(self, text, cm, tm, font, size) -> None:
        if not text or self.failed:
            return
        try:
            self._text(text, cm, tm, font, size)
        except Exception:
            self.failed = True

    def _text(self, text, cm, tm, font, size) -> None:
        self.parts.append(text)
        if not text.strip():
            return
        try:
            m = _mult(_mult(tm, cm), self.forms[-1])
            height = abs(float(size)) * m[3]
        except (TypeError, ValueError, IndexError):
            self.last = None
            return
        if not (m[0] > 0 and height > 0 and abs(m[1]) <= _UPRIGHT * m[0] and abs(m[2]) <= _UPRIGHT * m[3]):
            self.last = None  # rotated, mirrored or skewed text keeps pypdf's lines
            return
        x, y = m[4], m[5]
        # Only a break pypdf put before this run is looked at (and the width of the run before it measured).
        if self.last is not None and len(self.parts) > 1 and self.parts[-2].endswith("\n"):
            left, baseline, previous, shown, its_font, its_size, across = self.last
            scale = max(height, previous)
            if abs(y - baseline) <= _SAME_BASELINE * scale:
                width = self.widths.of(its_font, shown)
                if width is None:  # a composite font: its widths are of glyph codes, which the text no longer shows
                    if x > left and x - (left + 0.5 * previous * len(shown)) <= _MAX_GAP * scale:
                        self._join(len(self.parts) - 1, " ")
                else:
                    gap = x - (left + width / 1000 * its_size * across)
                    if -_TOUCHING * scale <= gap <= _MAX_GAP * scale:
                        self._join(len(self.parts) - 1, "" if gap < _TOUCHING * scale else " ")
        # Measured without the space pypdf put at its start (where it saw the pen move), which was never drawn.
        self.last = (x, y, height, text.strip(), font, abs(float(size)), m[0])

    def _join(self, at: int, space: str) -> None:
        """Take back the line break just before parts[at] (at the end of a run, or a run of its own)."""
        before = self.parts[at - 1]
        if before == "\n" and at >= 2 and not self.parts[at - 2].endswith("\n"):
            self.parts[at - 1] = "" if self.parts[at - 2].endswith(" ") or self.parts[at].startswith(" ") else space
        elif before.endswith("\n") and not before.endswith("\n\n") and before.strip():
            self.parts[at - 1] = before[:-1] + ("" if before[-2:-1] == " " or self.parts[at].startswith(" ")
                                                else space)
        else:
            return
        self.joined += 1


class Widths:
    """Widths of text in a PDF's simple fonts (1/1000 of the font size), kept for the whole file: a composite font's
    widths are of its glyph codes, which the text no longer shows (None)."""

    def __init__(self) -> None:
        self.fonts: dict[int, tuple] = {}

    def of(self, resource, text: str) -> float | None:
        if resource is None:
            return None
        key = id(resource)
        if key not in self.fonts:
            self.fonts[key] = (resource, _font_widths(resource))  # the resource kept: its id is not reused
        widths = self.fonts[key][1]
        if widths is None:
            return None
        default = widths[""]
        return sum(widths.get(c, default) for c in text)


def _font_widths(resource) -> dict | None:
    """The widths of a simple font (Type 1, TrueType) by the text its codes stand for, as pypdf reads them."""
    try:
        from pypdf.generic._font import Font  # pypdf's own reading of a font's widths and encoding

        if resource.get("/Subtype") not in ("/Type1", "/MMType1", "/TrueType"):
            return None  # composite fonts: widths by glyph code; Type 3: widths in a glyph space of its own
        font = Font.from_font_resource(resource)
        encoding = font.encoding if isinstance(font.encoding, dict) else {}
        widths = {"": font.character_widths.get("default") or font.space_width or 500}
        for code, width in font.character_widths.items():
            if len(code) == 1:
                shown = encoding.get(ord(code), code)
                shown = font.character_map.get(shown, shown)  # a ToUnicode map, as pypdf decodes text
                for c in shown if isinstance(shown, str) else ():
                    widths.setdefault(c, width / len(shown))
        return widths
    except Exception:  # a damaged font, or a pypdf that reads fonts otherwise: runs are joined with a space
        return None
