"""Every file in invalid/ is rejected, with a message that names the file, the line and the field.

Each file states what is expected in its first comment lines: `# expect-line:`, `# expect-field:`,
`# expect:` (a fragment of the message) and, for problems in a document, `# expect-file:`.
"""
from pathlib import Path

import pytest

from extension.network_templates import (
    NetworkFileError,
    SourceError,
    TemplateError,
    load_network_file,
    load_template,
)

INVALID = Path(__file__).parent / "invalid"
KNOWN_ORGANISATIONS = {"kdv-zon", "obs-ster", "jeugd-wijk"}
KNOWN_TEMPLATES = {"doorgaande-lijn", "lerend-netwerk-jeugd"}
FILES = sorted(INVALID.glob("*.yml"))


def expectations(path: Path) -> dict[str, str]:
    found = {}
    for raw in path.read_bytes().splitlines():
        line = raw.decode("ascii", errors="replace")
        if not line.startswith("# expect"):
            break
        key, _, value = line[2:].partition(":")
        found[key] = value.strip()
    return found


def load(path: Path) -> None:
    if path.name.startswith("template-"):
        load_template(path)
    else:
        load_network_file(path, organisations=KNOWN_ORGANISATIONS, templates=KNOWN_TEMPLATES)


def test_there_are_at_least_twenty_invalid_templates_and_network_files():
    assert len([f for f in FILES if f.name.startswith("template-")]) >= 20
    assert len([f for f in FILES if f.name.startswith("network-")]) >= 15


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_invalid_file_is_rejected_naming_file_line_and_field(path):
    expected = expectations(path)
    error_type = TemplateError if path.name.startswith("template-") else NetworkFileError
    with pytest.raises(SourceError) as caught:
        load(path)
    assert isinstance(caught.value, error_type)
    expected_file = str(INVALID / "docs" / expected["expect-file"]) if "expect-file" in expected else str(path)
    line = int(expected["expect-line"])
    field = expected["expect-field"]
    where = f"{expected_file}:{line}: {field + ': ' if field else ''}"
    message = str(caught.value)
    assert any(text.startswith(where) and expected["expect"] in text for text in message.splitlines()), (
        f"expected a line starting with {where!r} containing {expected['expect']!r}, got:\n{message}")
