"""Build hook: the version comes from appinfo.yml, and that root manifest ships inside the `extension` package.

appinfo.yml at the repository root is the one place the version is written (pyproject.toml declares it
dynamic). The build runs before any dependency is installed, so the one top-level `version:` line is read
with a regular expression instead of a YAML parser; the appinfo schema keeps that line a plain string.
"""
import re
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
APPINFO = ROOT / "appinfo.yml"


def appinfo_version() -> str:
    match = re.search(r"^version:\s*[\"']?([^\"'\s#]+)", APPINFO.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{APPINFO}: no top-level 'version:' line")
    return match.group(1)


class BuildPyWithAppinfo(build_py):
    """Copies appinfo.yml into the built `extension` package, where the installed app reads it.

    An editable install runs from the checkout, where the app reads the root file itself.
    """

    def run(self):
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib) / "extension"
            self.mkpath(str(target))
            self.copy_file(str(APPINFO), str(target / "appinfo.yml"))


setup(version=appinfo_version(), cmdclass={"build_py": BuildPyWithAppinfo})
