"""The template tests' fixtures (a small valid template and network file, copied to tmp) for these tests too."""
from tests.network_templates.conftest import network_file, small_template

__all__ = ["network_file", "small_template"]
