"""A non-editable install of the project is a working app: code, UI templates, network templates, translations,
migrations — with no top-level `templates` package, and without the sandbox's servers unless asked for."""
import os
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# The dependencies of the extra `sandbox`: the demo and the tests install them, a production install does not.
SANDBOX_SERVERS = {"radicale", "wsgidav", "cheroot", "aiosmtpd", "markdown-it-py"}


def run(*args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT))
    return next(dist.glob("lerend_netwerk-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A clean venv holding the project only from the wheel."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    purelib = Path(run(str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # The dependencies come from the test environment (a plain path entry: its .pth files, among them the
    # editable install of this project, are not processed), the project itself only from the wheel.
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--quiet", str(wheel))
    return venv


def app_env(tmp_path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    return {**env, "PYTHONPATH": "", "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite", "LN_SECRET_KEY": "x"}


def test_wheel_installed_into_a_clean_venv_serves_dutch_pages_and_migrates(venv, tmp_path):
    check = f"""
import extension, connectors, sandbox
assert extension.__file__.startswith({str(venv)!r}), extension.__file__
from extension import create_app
app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path}/w.sqlite", "SECRET_KEY": "x"}})
page = app.test_client().get("/").get_data(as_text=True)
assert "Inloggen" in page and "app.css" in page, page
assert app.test_client().get("/static/app.css").status_code == 200
print("ok")
"""
    run(str(venv / "bin" / "lerend-netwerk"), "db", "upgrade", cwd=tmp_path, env=app_env(tmp_path))
    assert run(str(venv / "bin" / "python"), "-c", check, cwd=tmp_path, env=app_env(tmp_path)).strip().endswith("ok")


def test_the_wheel_has_no_top_level_templates_package_and_carries_every_template_file_in_extension(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"extension", "connectors", "sandbox"}
    builtin = "extension/network_templates/builtin/"
    shipped = {name[len(builtin):] for name in names if name.startswith(builtin)}
    in_checkout = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
    assert shipped == in_checkout and "doorgaande-lijn/template.yml" in shipped


def test_the_installed_wheel_lists_its_shipped_templates_and_has_no_templates_module(venv, tmp_path):
    listing = run(str(venv / "bin" / "lerend-netwerk"), "templates", "list", cwd=tmp_path, env=app_env(tmp_path))
    rows = [line.split("\t") for line in listing.splitlines()]
    assert [(row[0], row[3]) for row in rows] == [("doorgaande-lijn", "meegeleverd"),
                                                  ("lerend-netwerk-jeugd", "meegeleverd")]
    where = run(str(venv / "bin" / "python"), "-c", """
import importlib.util
from extension.network_templates import SHIPPED_TEMPLATES_DIR, get_template
assert importlib.util.find_spec("templates") is None
assert get_template("lerend-netwerk-jeugd").meetings.per_year == 4
print(SHIPPED_TEMPLATES_DIR)
""", cwd=tmp_path, env=app_env(tmp_path)).strip()
    assert where.startswith(str(venv)) and where.endswith("extension/network_templates/builtin"), where


def test_a_base_install_requires_none_of_the_sandbox_servers_and_the_extra_requires_them_all(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist")]

    def required(extra: str) -> set[str]:
        return {r.name.lower() for r in requirements if r.marker is None or r.marker.evaluate({"extra": extra})}

    assert "sandbox" in metadata.get_all("Provides-Extra")
    assert not required("") & SANDBOX_SERVERS
    assert SANDBOX_SERVERS <= required("sandbox")


def test_demo_without_the_sandbox_extra_says_in_one_dutch_line_how_to_install_it(venv, tmp_path):
    """The servers of the extra are made unimportable, as in a production install; the demo changes nothing."""
    blocked = sorted(name.replace("-", "_") for name in SANDBOX_SERVERS)
    script = f"""
import sys
for name in {blocked!r}:
    sys.modules[name] = None
sys.argv = ["lerend-netwerk", "demo", "--data-dir", {str(tmp_path / "demo")!r}]
from extension.cli import main
main()
"""
    result = subprocess.run([str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env=app_env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "De demo heeft de sandbox nodig en die is hier niet geïnstalleerd (cheroot ontbreekt); "
        "installeer hem met: pip install 'lerend-netwerk[sandbox]'"]
    assert not (tmp_path / "demo").exists()
