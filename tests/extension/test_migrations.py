"""`lerend-netwerk db upgrade` builds the schema from empty, on SQLite and PostgreSQL alike."""
import os
import subprocess
import sys

from sqlalchemy import create_engine, inspect, text

from tests.fixtures.app import TEST_KEY, make_test_app


def head_revision(app) -> str:
    """The newest migration script's revision: `db upgrade` must end there."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(app.config["MIGRATIONS_DIR"])).get_current_head()


def test_db_upgrade_creates_every_table_and_downgrade_removes_them(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path)
    runner = app.test_cli_runner()
    engine = create_engine(database_url)
    assert {"organisations", "accounts", "networks", "memberships", "commitments", "phases", "meetings",
            "knowledge_tasks", "launch_steps", "alembic_version"} <= set(inspect(engine).get_table_names())
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert "accounts" not in inspect(engine).get_table_names()
    assert "networks" not in inspect(engine).get_table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision(app)
    engine.dispose()


def test_models_and_migrations_agree(database_url, tmp_path):
    """Autogenerate finds nothing to do: the migrations describe exactly the models."""
    import flask_migrate
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from extension.extensions import db

    app = make_test_app(database_url, tmp_path)
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    # EncryptedText is Text in the database; a type-only difference would show as modify_type.
    assert [d for d in diff if not (isinstance(d, list) and d[0][0] == "modify_type")] == []
    assert flask_migrate  # imported for the side effect of registering the `db` command


def test_console_script_upgrades_an_empty_sqlite_file(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "LN_ENCRYPTION_KEYS": TEST_KEY,
           "LN_SECRET_KEY": "x"}
    script = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
    result = subprocess.run([script, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    assert "accounts" in inspect(engine).get_table_names()
