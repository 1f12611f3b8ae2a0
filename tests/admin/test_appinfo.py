"""appinfo.yml: valid, the one source of settings defaults, and precise about what is wrong in a bad copy."""
import re
from pathlib import Path

import pytest

from extension import appinfo, create_app
from extension.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = (ROOT / "appinfo.yml").read_text(encoding="utf-8")


def problems_of(text: str) -> list[appinfo.Problem]:
    with pytest.raises(appinfo.AppInfoError) as info:
        appinfo.parse(text, "appinfo.yml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_repository_manifest_is_valid_and_the_one_the_app_reads():
    info = appinfo.load()
    assert Path(info.source) == ROOT / "appinfo.yml"
    assert info.id == "lerend-netwerk"
    assert (info.min_version, info.max_version) == (28, 32)
    required = {app.id for app in info.apps if app.need == "required"}
    assert required == {"dav", "files_sharing", "oauth2"}
    assert {app.id for app in info.apps if app.need == "recommended"} == {"tasks", "text", "spreed"}


def test_the_manifest_names_the_nextcloud_settings_worth_raising():
    keys = {(s["app"], s["key"]) for s in appinfo.load().data["nextcloud"]["settings_to_raise"]}
    assert {("dav", "maximumCalendarsSubscriptions"), ("dav", "rateLimitCalendarCreation")} <= keys


def test_an_unknown_field_is_named_with_its_line():
    text = MANIFEST.replace("  LOG_JSON:\n", "  LOG_JSON:\n    colour: blue\n")
    [problem] = problems_of(text)
    assert (problem.field, problem.line) == ("settings.LOG_JSON.colour", line_of(text, "colour: blue"))
    assert str(problem).startswith(f"appinfo.yml:{problem.line}: settings.LOG_JSON.colour:")


def test_a_value_of_the_wrong_kind_is_named_with_its_line():
    text = MANIFEST.replace("    need: cross-organisation\n", "    need: sometimes\n")
    [problem] = problems_of(text)
    assert problem.field == "nextcloud.apps[3].need"
    assert problem.line == line_of(text, "need: sometimes")
    assert "'sometimes' is not one of" in problem.message


def test_a_default_that_does_not_match_its_declared_type_is_refused():
    text = MANIFEST.replace("    default: 3\n", "    default: three\n")
    [problem] = problems_of(text)
    assert problem.field == "settings.HTTP_RETRIES.default"
    assert problem.line == line_of(text, "default: three")


def test_a_key_written_twice_is_refused_instead_of_silently_taking_the_last():
    text = MANIFEST.replace("licence: AGPL-3.0-or-later\n", "licence: AGPL-3.0-or-later\nlicence: MIT\n")
    [problem] = problems_of(text)
    first, second = line_of(text, "licence: AGPL"), line_of(text, "licence: MIT")
    assert (problem.field, problem.line) == ("licence", second)
    assert problem.message == f"dubbele sleutel 'licence' (ook op regel {first})"


def test_a_supported_range_upside_down_is_refused():
    text = MANIFEST.replace("    min: 28\n", "    min: 33\n")
    [problem] = problems_of(text)
    assert problem.field == "nextcloud.versions.min" and "above max 32" in problem.message


def test_broken_yaml_names_the_line():
    text = MANIFEST.replace("licence: AGPL-3.0-or-later\n", "licence: [AGPL\n")
    [problem] = problems_of(text)
    assert (problem.file, problem.field) == ("appinfo.yml", "") and problem.message.startswith("YAML-fout: ")
    assert problem.line is not None and problem.line >= line_of(text, "licence: [AGPL")


def test_a_copy_not_in_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    copy = tmp_path / "appinfo.yml"
    copy.write_bytes(MANIFEST.encode().replace(b"licence: AGPL-3.0-or-later", b"licence: AGPL-3.0-or-later # caf\xe9"))
    with pytest.raises(appinfo.AppInfoError) as info:
        appinfo.read(copy)
    [problem] = info.value.problems
    assert (problem.file, problem.line) == (str(copy), line_of(MANIFEST, "licence: AGPL"))
    assert problem.message.startswith("is geen UTF-8")


def test_the_version_must_be_a_plain_string_for_the_package_build():
    [problem] = problems_of(re.sub(r"^version: .*$", "version: 1.0", MANIFEST, flags=re.MULTILINE))
    assert problem.field == "version" and "not of type 'string'" in problem.message


def test_cli_check_accepts_the_manifest_and_rejects_a_broken_copy(runner, tmp_path):
    result = runner.invoke(args=["--lang", "en", "appinfo", "check"])
    assert result.exit_code == 0, result.output
    assert "valid — lerend-netwerk" in result.output
    broken = tmp_path / "appinfo.yml"
    broken.write_text(MANIFEST.replace("redirect_path: /oauth/callback", "redirect_path: /oauth/callback?x=1"))
    result = runner.invoke(args=["--lang", "en", "appinfo", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:{line_of(broken.read_text(), 'redirect_path:')}: oauth.redirect_path:" in result.output


def test_the_app_takes_every_default_from_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    for name in appinfo.load().settings:
        monkeypatch.delenv(f"LN_{name}", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app()
    for name, setting in appinfo.load().settings.items():
        if setting.default is not None:
            assert app.config[name] == setting.default, name


def test_a_changed_default_in_the_manifest_changes_the_app(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.delenv("LN_HTTP_RETRIES", raising=False)
    changed = appinfo.parse(MANIFEST.replace("    default: 3\n", "    default: 9\n"))
    monkeypatch.setattr(appinfo, "load", lambda: changed)
    assert create_app().config["HTTP_RETRIES"] == 9


def test_a_setting_of_the_wrong_type_from_the_environment_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.setenv("LN_HTTP_RETRIES", "many")
    with pytest.raises(ConfigError, match="instelling HTTP_RETRIES: 'many' is niet van het type integer"):
        create_app()


def test_the_redirect_path_is_the_route_that_takes_the_oauth_callback(app):
    assert appinfo.load().redirect_path in {rule.rule for rule in app.url_map.iter_rules()}
    assert app.url_map.bind("localhost").match(appinfo.load().redirect_path)[0] == "auth.callback"
