"""Fuzzing the readers of user-written files: whatever the input, only the documented errors come out
(SourceError subclasses naming file and line), each example within a time and memory budget."""
from __future__ import annotations

import shutil
import time
import tracemalloc
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from extension.network_templates import NetworkFileError, TemplateError, load_network_file, load_template
from extension.yaml_source import parse_yaml
from tests.network_templates.conftest import VALID

# Per example: generous for a loaded CI machine, yet far below what an unbudgeted input takes (an alias
# bomb: gigabytes; a template with range(10**9): minutes).
SECONDS_PER_EXAMPLE = 10.0
BYTES_PER_EXAMPLE = 64 * 1024 * 1024

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_SLOW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

YAML_TOKENS = ["&a ", "*a", "&b ", "*b", "[", "]", "{", "}", ": ", ":", "- ", "\n", "  ", "? ", "!!str ",
               "!!python/object:os.system ", "'", '"', "# ", "|", ">", "---\n", "...\n", "%YAML 1.2\n", "a",
               "name", "1", "-1.5e3", "~", "\t", "\x00", "\x07", "\ufeff", "ë", "e\u0308", "9" * 5000, ",",
               "\\", "<<: *a", "2025-02-30", "15:30", "null", "true"]
JINJA_TOKENS = ["{{ ", " }}", "{% ", " %}", "{# ", " #}", "for x in ", "members", "range(", "10**9", ")", "(",
                "endfor", "if ", "endif", "else", "macro m()", "endmacro", "m()", "include 'a'", "import 'a' as b",
                "extends 'a'", "block b", "endblock", "set s = ", "'x'", '"y"', " * ", " ** ", " ~ ", " + ", " % ",
                "|", "upper", "center(", "join", "replace('x', 'xx')", "network.name", "network.__class__",
                "loop.index", "phase", "meeting", "datum", "tijd", "getal", "9", "\n", "-", "raw", "endraw",
                "[", "]", ",", "0", "/", "//", "namespace()", "lipsum(", "self", "caller()", "call m()", "endcall"]


def joined(tokens: list[str], max_size: int = 60):
    return st.lists(st.sampled_from(tokens), max_size=max_size).map("".join)


def mutated(text: str, tokens: list[str]):
    """`text` with a few tokens inserted and a few stretches deleted, at positions hypothesis picks."""
    edits = st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, 12), st.sampled_from(tokens)), max_size=6)

    def apply(changes):
        result = text
        for position, deleted, token in changes:
            position = min(position, len(result))
            result = result[:position] + token + result[position + deleted:]
        return result

    return edits.map(apply)


@contextmanager
def within_budget():
    """Fail (with the figures) when one example takes more than its time or memory budget."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if seconds > SECONDS_PER_EXAMPLE or peak > BYTES_PER_EXAMPLE:
            pytest.fail(f"one example took {seconds:.1f} s and {peak / 1024 / 1024:.0f} MB; the budget is "
                        f"{SECONDS_PER_EXAMPLE:g} s and {BYTES_PER_EXAMPLE // 1024 // 1024} MB")


@FUZZ
@given(st.one_of(st.text(max_size=400), joined(YAML_TOKENS, 80),
                 mutated((VALID / "netwerk.yml").read_text(encoding="utf-8"), YAML_TOKENS)))
def test_the_yaml_reader_raises_only_its_documented_error(text):
    with within_budget():
        try:
            parse_yaml(text, "f.yml", TemplateError)
        except TemplateError as exc:
            assert exc.problems and all(p.file == "f.yml" for p in exc.problems)


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(VALID / "klein", folder / "klein")
    return folder


@FUZZ_SLOW
@given(yml=st.one_of(st.none(), mutated((VALID / "klein" / "template.yml").read_text(encoding="utf-8"),
                                        YAML_TOKENS)),
       document=st.one_of(joined(JINJA_TOKENS, 40),
                          mutated((VALID / "klein" / "docs" / "plan.md").read_text(encoding="utf-8"), JINJA_TOKENS)))
def test_the_template_loader_raises_only_template_errors(fuzz_folder, yml, document):
    folder = fuzz_folder / "klein"
    original = (VALID / "klein" / "template.yml").read_text(encoding="utf-8")
    (folder / "template.yml").write_text(original if yml is None else yml, encoding="utf-8")
    (folder / "docs" / "plan.md").write_text(document, encoding="utf-8")
    with within_budget():
        try:
            load_template(folder)
        except TemplateError as exc:
            assert exc.problems and all(p.file.startswith(str(folder)) for p in exc.problems)


@FUZZ
@given(mutated((VALID / "netwerk.yml").read_text(encoding="utf-8"), YAML_TOKENS))
def test_the_network_file_parser_raises_only_network_file_errors(fuzz_folder, text):
    path = fuzz_folder / "netwerk.yml"
    path.write_text(text, encoding="utf-8")
    with within_budget():
        try:
            load_network_file(path, organisations={"kdv-zon", "obs-ster"}, templates={"doorgaande-lijn"})
        except NetworkFileError as exc:
            assert exc.problems and all(p.file == str(path) for p in exc.problems)
