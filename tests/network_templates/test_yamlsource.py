"""YAML loading keeps the line of every value, refuses duplicate keys, reads UTF-8 only, resolves safely."""
import pytest

from extension.network_templates.errors import TemplateError
from extension.yaml_source import load_yaml


def write(tmp_path, text: str, name="f.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lines_are_remembered_for_nested_keys_and_list_items(tmp_path):
    path = write(tmp_path, "a: 1\nb:\n  - x: 2\n    y: 3\n  - x: 4\n")
    document = load_yaml(path, "f.yml", TemplateError)
    assert document.data == {"a": 1, "b": [{"x": 2, "y": 3}, {"x": 4}]}
    lines = document.source
    assert lines.line_of(("a",)) == 1
    assert lines.line_of(("b",)) == 2
    assert lines.line_of(("b", 0, "y")) == 4
    assert lines.line_of(("b", 1, "x")) == 5


def test_a_missing_field_is_located_at_the_mapping_that_lacks_it(tmp_path):
    document = load_yaml(write(tmp_path, "a: 1\nb:\n  - x: 2\n  - x: 4\n"), "f.yml", TemplateError)
    assert document.source.line_of(("b", 1, "y"), missing=True) == 4


def test_duplicate_keys_are_refused_with_both_lines(tmp_path):
    with pytest.raises(TemplateError) as caught:
        load_yaml(write(tmp_path, "a: 1\nb: 2\na: 3\n"), "f.yml", TemplateError)
    assert str(caught.value) == "f.yml:3: a: dubbele sleutel 'a' (ook op regel 1)"


def test_times_and_norway_words_stay_text_and_impossible_dates_reach_the_schema(tmp_path):
    data = load_yaml(write(tmp_path, "t: 15:30\nn: no\nd: 2025-02-30\nb: true\ni: 12\nf: 1.5\ne:\nq: '7'\n"),
                     "f.yml", TemplateError).data
    assert data == {"t": "15:30", "n": "no", "d": "2025-02-30", "b": True, "i": 12, "f": 1.5, "e": None, "q": "7"}


def test_non_utf8_is_refused_naming_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "f.yml"
    path.write_bytes("a: 1\nb: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(TemplateError) as caught:
        load_yaml(path, "f.yml", TemplateError)
    assert str(caught.value).startswith("f.yml:2: is geen UTF-8")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "f.yml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml(path, "f.yml", TemplateError).data == {"a": 1}


def test_more_than_one_document_is_refused(tmp_path):
    with pytest.raises(TemplateError, match="precies één YAML-document"):
        load_yaml(write(tmp_path, "a: 1\n---\nb: 2\n"), "f.yml", TemplateError)


def test_a_self_referencing_alias_is_refused_instead_of_recursing_forever(tmp_path):
    with pytest.raises(TemplateError) as caught:
        load_yaml(write(tmp_path, "a: &x\n  b: *x\n"), "f.yml", TemplateError)
    assert str(caught.value) == "f.yml:1: een verwijzing (*) naar zichzelf"


def test_a_key_that_is_not_text_is_refused(tmp_path):
    with pytest.raises(TemplateError, match="veldnaam moet tekst zijn"):
        load_yaml(write(tmp_path, "? [a, b]\n: 1\n"), "f.yml", TemplateError)
