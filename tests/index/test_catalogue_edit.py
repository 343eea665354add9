"""Trainers' catalogue: validated changes (index.concepts.edit), stored with the index and published by the writer."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from index import versions
from index.catalogue_writes import apply_concept_change
from index.concepts import load_catalogue
from index.concepts.edit import (
    ConceptChange, add_concept, changed_concepts, check_change, concept_body, remove_concept, replace_concept,
)
from index.concepts.storage import FILE, stored_catalogue
from index.errors import ConceptConflict, InvalidConcept, NotFound
from index.service import KnowledgeBase
from index.stores import IndexSettings
from tests.configs import config_for, store_for

FIVE_FORCES = {
    "id": "five-forces",
    "labels": {"en": "Five forces", "de": "Fünf Kräfte", "nl": "Vijf krachten"},
    "aliases": {"en": ["Porter's five forces"], "de": ["Five-Forces-Modell"]},
    "definitions": {"en": "Porter's model of the five competitive forces that shape an industry.",
                    "de": "Porters Modell der fünf Wettbewerbskräfte."},
    "broader": None,
    "related": ["competitive-advantage"],
    "contrasts": [],
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_a_concept_round_trips_through_its_body(catalogue):
    added = add_concept(catalogue, FIVE_FORCES)
    assert concept_body(added.get("five-forces")) == FIVE_FORCES
    assert "five-forces" not in catalogue  # the catalogue passed in is never changed
    assert changed_concepts(catalogue, added) == ["five-forces"]
    # The GET answer's read-only keys may come back with the body.
    again = replace_concept(added, "five-forces", {**FIVE_FORCES, "label": "x", "passages": [], "narrower": []})
    assert again.digest == added.digest


@pytest.mark.parametrize("change, error, words", [
    ({"labels": {"en": "Value disciplines"}}, ConceptConflict, ["five-forces", "en", "value-disciplines"]),
    ({"aliases": {"sv": ["kundintimitet"]}}, ConceptConflict, ["five-forces", "sv", "customer-intimacy"]),
    # Clashes as look-ups read labels: accents, case, hyphens and Unicode forms folded, in any language.
    ({"labels": {"en": "Value-Disciplines"}}, ConceptConflict, ["five-forces", "en", "value-disciplines"]),
    ({"labels": {"en": "Five forces", "fr": "Kundintimite\u0301t"}}, ConceptConflict,
     ["five-forces", "fr", "sv", "customer-intimacy"]),
    ({"labels": {"en": "Five forces", "sv": "!!! ???"}}, InvalidConcept, ["five-forces", "sv", "no letter or digit"]),
    ({"id": "lookup"}, InvalidConcept, ["lookup", "reserved"]),
    ({"labels": {"de": "Fünf Kräfte"}}, InvalidConcept, ["five-forces", "labels.en"]),
    ({"definitions": {"de": "x"}}, InvalidConcept, ["five-forces", "definitions.en"]),
    ({"labels": {"en": "Five forces", "xx": "?"}}, InvalidConcept, ["five-forces", "labels", "'xx'"]),
    ({"broader": "no-such-concept"}, InvalidConcept, ["five-forces", "no-such-concept"]),
    ({"related": ["nope"]}, InvalidConcept, ["five-forces", "related", "nope"]),
    ({"contrasts": "customer-loyalty"}, InvalidConcept, ["five-forces", "contrasts"]),
    ({"id": "Five Forces"}, InvalidConcept, ["Five Forces", "kebab"]),
    # A bad id is named as such, before a label another concept holds could make it a conflict.
    ({"id": "Bad Id", "labels": {"en": "Customer loyalty"}}, InvalidConcept, ["'Bad Id'", "kebab"]),
    ({"alias": {"en": ["x"]}}, InvalidConcept, ["five-forces", "'alias'"]),
    ({"labels": {"en": "  "}}, InvalidConcept, ["five-forces", "labels.en"]),
    ({"labels": {"en": "x" * 300}}, InvalidConcept, ["five-forces", "labels.en", "200"]),
])
def test_a_bad_concept_is_refused_naming_concept_and_field(catalogue, change, error, words):
    with pytest.raises(error) as raised:
        add_concept(catalogue, {**FIVE_FORCES, **change})
    for word in words:
        assert word in str(raised.value)


def test_ids_must_be_new_for_add_and_known_for_replace_and_remove(catalogue):
    with pytest.raises(ConceptConflict, match="'customer-loyalty' already exists"):
        add_concept(catalogue, {**FIVE_FORCES, "id": "customer-loyalty"})
    with pytest.raises(NotFound):
        replace_concept(catalogue, "five-forces", FIVE_FORCES)
    with pytest.raises(NotFound):
        remove_concept(catalogue, "five-forces")
    with pytest.raises(InvalidConcept, match="cannot change"):
        replace_concept(catalogue, "customer-loyalty", FIVE_FORCES)
    with pytest.raises(InvalidConcept, match="unknown change"):
        check_change(catalogue, ConceptChange("rename", "customer-loyalty"))


def test_a_broader_cycle_is_refused_naming_the_concept(catalogue):
    body = concept_body(catalogue.get("value-disciplines"))
    with pytest.raises(InvalidConcept, match="'value-disciplines'.*cycle.*operational-excellence"):
        replace_concept(catalogue, "value-disciplines", {**body, "broader": "operational-excellence"})


def test_removal_drops_links_to_the_concept_and_refuses_one_with_narrower_concepts(catalogue):
    assert "collective-intimacy" in catalogue.get("customer-intimacy").related
    removed = remove_concept(catalogue, "collective-intimacy")
    assert "collective-intimacy" not in removed
    assert all("collective-intimacy" not in (*c.related, *c.contrasts) for c in removed)
    assert changed_concepts(catalogue, removed)[-1] == "collective-intimacy"
    with pytest.raises(ConceptConflict, match="narrower concepts.*operational-excellence"):
        remove_concept(catalogue, "value-disciplines")


def test_a_change_round_trips_as_json():
    change = ConceptChange("add", "five-forces", copy.deepcopy(FIVE_FORCES))
    assert ConceptChange.from_json(change.to_json()) == change


# -- stored with the index ------------------------------------------------------------------------

SETTINGS = IndexSettings(embedder="hash:64")


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, seeds_dir) -> Path:
    """A quick index of the seeds (hashing embedder: plumbing only)."""
    from ingest.pipeline import ingest

    index_dir = tmp_path_factory.mktemp("catalogue") / "index"
    ingest([seeds_dir], store_for(index_dir), settings=SETTINGS, progress=False)
    return index_dir


def _current(index_dir: Path) -> Path:
    return versions.versions_dir(index_dir) / versions.current_name(index_dir)


def test_first_ingest_stores_the_shipped_catalogue_listed_in_the_manifest(small_index, catalogue):
    folder = _current(small_index)
    manifest = json.loads((folder / versions.MANIFEST).read_text())
    assert FILE in manifest["files"] and manifest["catalogue"] == {"digest": catalogue.digest, "concepts": len(catalogue)}
    assert stored_catalogue(folder).digest == catalogue.digest


def test_a_published_change_is_served_grounded_and_carried_forward(small_index, tmp_path):
    import shutil

    index_dir = shutil.copytree(small_index, tmp_path / "index")
    update = apply_concept_change(store_for(index_dir), SETTINGS, ConceptChange("add", "five-forces", FIVE_FORCES))
    assert update.changed == ["five-forces"] and update.version == versions.current_name(index_dir)
    kb = KnowledgeBase(config_for(index_dir, embedder=SETTINGS.embedder))
    assert kb.concept("five-forces")["labels"] == FIVE_FORCES["labels"]
    assert [m["id"] for m in kb.lookup("Vijf krachten", k=1)] == ["five-forces"]
    # Another write (a deletion) carries the catalogue forward.
    with store_for(index_dir).writer(SETTINGS) as writer:
        assert "five-forces" in writer.catalogue()
        writer.delete(writer.documents()[0].doc_id)
        writer.commit()
    assert "five-forces" in stored_catalogue(_current(index_dir))
    # A rebuild re-embeds the documents and keeps the trainers' catalogue.
    with store_for(index_dir).writer(SETTINGS, rebuild=True) as writer:
        assert "five-forces" in writer.catalogue()


def test_a_refused_change_publishes_nothing(small_index, tmp_path):
    import shutil

    index_dir = shutil.copytree(small_index, tmp_path / "index")
    before = versions.current_name(index_dir)
    with pytest.raises(ConceptConflict):
        apply_concept_change(store_for(index_dir), SETTINGS, ConceptChange("add", "x", {**FIVE_FORCES, "id": "customer-loyalty"}))
    assert versions.current_name(index_dir) == before and versions.published(index_dir) == [before]


def test_an_index_from_before_stored_catalogues_gets_one_at_its_next_write(small_index, tmp_path, catalogue):
    import shutil

    index_dir = shutil.copytree(small_index, tmp_path / "index")
    folder = _current(index_dir)
    (folder / FILE).unlink()
    manifest = json.loads((folder / versions.MANIFEST).read_text())
    del manifest["files"][FILE]
    (folder / versions.MANIFEST).write_text(json.dumps(manifest))
    assert KnowledgeBase(config_for(index_dir, embedder=SETTINGS.embedder)).catalogue().digest == catalogue.digest
    apply_concept_change(store_for(index_dir), SETTINGS, ConceptChange("add", "five-forces", FIVE_FORCES))
    stored = stored_catalogue(_current(index_dir))
    assert len(stored) == len(catalogue) + 1
