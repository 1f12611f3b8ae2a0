"""Build hook: the version comes from appinfo.yml, and the root files the app reads ship inside `extension`.

appinfo.yml at the repository root is the one place the version is written (pyproject.toml declares it
dynamic). The build runs before any dependency is installed, so the one top-level `version:` line is read
with a regular expression instead of a YAML parser; the appinfo schema keeps that line a plain string.

The network templates live in the repository's top-level `templates/` folder, which is no Python package;
the wheel carries them as package data of `extension.network_templates`, in its folder `builtin/`.
"""
import re
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
APPINFO = ROOT / "appinfo.yml"
TEMPLATES = ROOT / "templates"
# Where the installed app finds the network templates (extension/network_templates/loader.py reads it there).
BUILTIN_TEMPLATES = Path("extension", "network_templates", "builtin")


def appinfo_version() -> str:
    match = re.search(r"^version:\s*[\"']?([^\"'\s#]+)", APPINFO.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{APPINFO}: no top-level 'version:' line")
    return match.group(1)


class BuildPyWithRootFiles(build_py):
    """Copies appinfo.yml and the network templates into the built `extension` package, where the installed
    app reads them.

    An editable install runs from the checkout, where the app reads the root files themselves.
    """

    def run(self):
        # A build folder left by an older build may still hold a top-level `templates` package; it must not ship.
        stale = Path(self.build_lib) / "templates"
        if stale.is_dir():
            import shutil

            shutil.rmtree(stale)
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib) / "extension"
            self.mkpath(str(target))
            self.copy_file(str(APPINFO), str(target / "appinfo.yml"))
            for source in sorted(TEMPLATES.rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    destination = Path(self.build_lib) / BUILTIN_TEMPLATES / source.relative_to(TEMPLATES)
                    self.mkpath(str(destination.parent))
                    self.copy_file(str(source), str(destination))


setup(version=appinfo_version(), cmdclass={"build_py": BuildPyWithRootFiles})
