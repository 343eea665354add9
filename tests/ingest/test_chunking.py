"""Chunks respect sentences, fit the token budget, overlap modestly and keep exact offsets."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.text import sentence_spans
from ingest.chunking import ChunkingConfig, chunk_text


def words_as_tokens(text: str) -> int:
    """A deterministic stand-in tokenizer for plumbing tests: one token per word, plus two specials."""
    return len(text.split()) + 2


def covered(text: str, chunks) -> set[int]:
    return {i for c in chunks for i in range(c.start, c.end)}


def test_sentences_split_on_punctuation_and_lines():
    assert sentence_spans('Hij zei: "klaar." Daarna.') == [(0, 17), (18, 25)]
    text = "Första meningen. Andra meningen!\nEn rad utan punkt\n\nSista?"
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["Första meningen.", "Andra meningen!", "En rad utan punkt", "Sista?"]


def test_chunks_fit_budget_and_keep_offsets():
    text = " ".join(f"Mening nummer {i} handlar om kunder." for i in range(60))
    config = ChunkingConfig(max_tokens=30, overlap_tokens=8)
    chunks = chunk_text(text, words_as_tokens, config)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.tokens <= config.max_tokens
        assert chunk.text[0].isupper() and chunk.text.endswith(".")  # whole sentences only


def test_overlap_is_modest():
    text = " ".join(f"Mening {i} om lojalitet och förtroende bland kunderna." for i in range(200))
    chunks = chunk_text(text, words_as_tokens, ChunkingConfig(max_tokens=64, overlap_tokens=8))
    encoded = sum(c.tokens for c in chunks)
    assert encoded <= 1.25 * words_as_tokens(text)
    assert any(a.end > b.start for a, b in zip(chunks, chunks[1:]))  # some overlap exists


def test_overlong_sentence_is_cut_between_words():
    text = "ord " * 500
    chunks = chunk_text(text.strip(), words_as_tokens, ChunkingConfig(max_tokens=50, overlap_tokens=0))
    assert all(c.tokens <= 50 for c in chunks)
    assert covered(text.strip(), chunks) >= {i for i, ch in enumerate(text.strip()) if not ch.isspace()}


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("abcåäö ABC.!?\n\n,;-»«"), min_size=0, max_size=1500),
    st.integers(min_value=8, max_value=80),
    st.integers(min_value=0, max_value=7),
)
def test_chunker_properties(text, max_tokens, overlap):
    chunks = chunk_text(text, words_as_tokens, ChunkingConfig(max_tokens=max_tokens, overlap_tokens=overlap))
    non_space = {i for i, ch in enumerate(text) if not ch.isspace()}
    assert covered(text, chunks) >= non_space  # every visible character is in some chunk
    for chunk in chunks:
        assert chunk.text and chunk.text.strip() == chunk.text  # no empty or padded chunks
        assert text[chunk.start : chunk.end] == chunk.text  # exact offsets
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_text_without_full_stops_is_cut_into_the_longest_pieces_that_fit_with_few_counts():
    text = " ".join(f"ord{i % 7}" + "x" * (i % 5) for i in range(3000))  # one 3,000-word "sentence"
    calls = []

    def counting(piece: str) -> int:
        calls.append(len(piece))
        return len(piece.split()) + 2 + sum(len(w) > 6 for w in piece.split())  # long words take two tokens

    config = ChunkingConfig(max_tokens=40, overlap_tokens=0)
    chunks = chunk_text(text, counting, config)
    assert "".join(text[c.start:c.end] + " " for c in chunks).strip() == text
    for chunk, after in zip(chunks, chunks[1:]):
        assert chunk.tokens == counting(chunk.text) <= config.max_tokens
        next_word = after.text.split()[0]
        assert counting(f"{chunk.text} {next_word}") > config.max_tokens  # nothing more would have fitted
    # A few counts a piece (about 25 words here), not one a word: text without full stops is cut about as fast as prose.
    assert len(calls) < 10 * len(chunks) < len(text.split()) / 2


def test_a_heading_starts_the_passage_it_introduces_never_ends_the_one_before():
    # The section before fills the chunk short of its budget; "Kundupplevelse" used to close it, cut off from its text.
    text = ("Bytesbarriärer\n\n" + "Kunden stannar för att det är svårt att byta. " * 6 + "\n\nKundupplevelse\n\n"
            + "En bra upplevelse gör kunden lojal av fri vilja. " * 6 + "\n\nSlutsats: lojalitet\n\nDet var allt.")
    chunks = chunk_text(text, lambda t: len(t.split()) + 2, ChunkingConfig(max_tokens=64))
    assert [c.text.split("\n")[0] for c in chunks][:2] == ["Bytesbarriärer", "Kundupplevelse"]
    assert not any(c.text.rstrip().endswith(("Kundupplevelse", "lojalitet")) for c in chunks)
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_headings_in_a_row_all_start_the_passage_they_introduce():
    # A chapter's heading, then its first section's: both go with the text after them, not one of each side.
    # The chunk is under half full when the headings come, and the long sentence after them does not fit beside it.
    text = ("Bytesbarriärer\n\n" + "Kunden stannar för att det är svårt att byta. " * 2
            + "\n\n3 Kundupplevelse\n\n3.1 Den första kontakten\n\n"
            + "En bra upplevelse gör kunden lojal av fri vilja och " * 4 + "stannar.\n\nDet var allt.")
    chunks = chunk_text(text, lambda t: len(t.split()) + 2, ChunkingConfig(max_tokens=64))
    assert chunks[0].text.endswith("byta.") and chunks[1].text.startswith("3 Kundupplevelse\n\n3.1 Den"), chunks
    assert not any(c.text.rstrip().endswith(("Kundupplevelse", "kontakten")) for c in chunks)
    assert all(text[c.start:c.end] == c.text for c in chunks)
