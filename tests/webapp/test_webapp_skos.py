"""The SKOS exports over HTTP: Turtle and JSON-LD describe the same graph."""
from __future__ import annotations

from rdflib import Graph
from rdflib.compare import isomorphic


def test_turtle_export_is_the_json_ld_graph(client, check_spec):
    turtle = client.get("/api/concepts/export?format=skos-turtle")
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    check_spec("/api/concepts/export", 200, turtle.content_type, turtle.get_data(as_text=True))
    jsonld = client.get("/api/concepts/export?format=skos-jsonld")
    assert jsonld.mimetype == "application/ld+json"
    assert isomorphic(Graph().parse(data=turtle.get_data(as_text=True), format="turtle"),
                      Graph().parse(data=jsonld.get_data(as_text=True), format="json-ld"))


def test_unknown_export_format_is_a_400(api):
    _, body = api("/api/concepts/export?format=rdf-xml", 400)
    assert "skos-turtle" in body["error"]["message"]
