"""The command line speaks Dutch unless told otherwise (--lang en, or LANG), keeps log lines on stderr, and
knows its version."""
from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner
from flask.cli import ScriptInfo

from extension import appinfo, create_app
from extension.cli import build
from extension.i18n import language_from_environment

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def _info(tmp_path):
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'nooit.sqlite'}",
              "JOBS_SQLITE": str(tmp_path / "jobs.sqlite"), "SECRET_KEY": "test",
              "ENCRYPTION_KEYS": ["bXwQ2tUBKXWqzyy_bt7Me62RBQRnFpcXi9pd8dXxZmk="]}
    return ScriptInfo(create_app=lambda: create_app(config), set_debug_flag=False)


def test_messages_and_help_are_dutch_by_default(tmp_path):
    runner = CliRunner()
    result = runner.invoke(build(), ["network", "list"], obj=_info(tmp_path), env=NO_LOCALE)
    assert result.output.startswith("De database is nog niet klaar")
    help_text = runner.invoke(build(), ["--help"], env=NO_LOCALE).output
    assert "Gebruik:" in help_text and "Opdrachten" in help_text and "Lerende netwerken aanmaken" in help_text


def test_lang_en_and_an_english_locale_switch_to_english(tmp_path):
    runner = CliRunner()
    flagged = runner.invoke(build(), ["--lang", "en", "network", "list"], obj=_info(tmp_path), env=NO_LOCALE)
    assert flagged.output.startswith("The database is not ready")
    by_locale = runner.invoke(build(), ["network", "list"], obj=_info(tmp_path),
                              env={**NO_LOCALE, "LANG": "en_US.UTF-8"})
    assert by_locale.output.startswith("The database is not ready")
    help_text = runner.invoke(build(), ["--lang", "en", "network", "--help"], env=NO_LOCALE).output
    assert "Usage:" in help_text and "Create, launch and follow learning networks." in help_text


def test_the_locale_variables_decide_in_posix_order():
    assert language_from_environment({"LC_ALL": "nl_NL.UTF-8", "LANG": "en_GB.UTF-8"}) == "nl"
    assert language_from_environment({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "nl_NL.UTF-8"}) == "en"
    assert language_from_environment({"LANG": "C.UTF-8"}) == "nl"
    assert language_from_environment({}) == "nl"


def test_version_prints_the_version_from_appinfo():
    result = CliRunner().invoke(build(), ["--version"])
    assert result.output == f"lerend-netwerk {appinfo.load().version}\n"


def _run(tmp_path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "LN_JOBS_SQLITE": str(tmp_path / "jobs.sqlite"), "LN_INSTANCE_PATH": str(tmp_path / "instance"),
           "LANG": "C.UTF-8"}
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, env=env, timeout=180)


def test_log_lines_go_to_stderr_and_only_with_verbose(tmp_path):
    quiet = _run(tmp_path, "db", "upgrade")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""
    (tmp_path / "db.sqlite").unlink()
    verbose = _run(tmp_path, "-v", "db", "upgrade")
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO" in verbose.stderr and "Running upgrade" in verbose.stderr
    assert verbose.stdout == ""
    listed = _run(tmp_path, "-v", "network", "list")
    assert listed.stdout == "Nog geen netwerken. Maak er een aan met: lerend-netwerk network create --from BESTAND.yml\n"
