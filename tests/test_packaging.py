"""A non-editable install of the project is a working app: code, UI templates, translations, migrations."""
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheel_installed_into_a_clean_venv_serves_dutch_pages_and_migrates(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT))
    wheel = next((tmp_path / "dist").glob("lerend_netwerk-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    purelib = Path(run(str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # The dependencies come from the test environment (a plain path entry: its .pth files, among them the
    # editable install of this project, are not processed), the project itself only from the wheel.
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--quiet", str(wheel))

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
    env = {**os.environ, "PYTHONPATH": ""}
    run(str(venv / "bin" / "lerend-netwerk"), "db", "upgrade", cwd=tmp_path,
        env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite", "LN_SECRET_KEY": "x"})
    assert run(str(venv / "bin" / "python"), "-c", check, cwd=tmp_path, env=env).strip().endswith("ok")
