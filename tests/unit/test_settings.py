"""Settings from the environment: every value a setting allows is read, every other one refused in one line."""

from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest

from entrypoints.settings import ConfigurationError, Settings

VARIABLES = [one.metadata["env"] for one in fields(Settings)]


def test_nothing_set_gives_the_defaults() -> None:
    assert Settings.from_env({}) == Settings()


def test_an_empty_variable_counts_as_unset() -> None:
    assert Settings.from_env(dict.fromkeys(VARIABLES, "  ")) == Settings()


def test_every_value_is_read() -> None:
    env = {
        "DATABASE_URL": "postgresql://alex:secret@db.example.com/tasks?sslmode=require",
        "TODO_DB_POOL_SIZE": "32",
        "TODO_DB_TIMEOUT": "2.5",
        "TODO_DB_PREPARED_STATEMENTS": "off",
        "TODO_MAX_BODY_BYTES": " 1024 ",
        "TODO_CORS_ORIGINS": "https://app.example.com",
        "TODO_ACCESS_LOG": "No",
        "TODO_DB_STARTUP_TIMEOUT": "60",
        "TODO_SHUTDOWN_TIMEOUT": ".5",
        "TODO_HOST": "::",
        "TODO_PORT": "65535",
        "TODO_WORKERS": "4",
    }
    settings = Settings.from_env(env)
    assert (settings.pool_size, settings.db_timeout, settings.prepared_statements) == (32, 2.5, False)
    assert (settings.max_body_bytes, settings.cors_origins, settings.access_log) == (
        1024,
        ("https://app.example.com",),
        False,
    )
    assert (settings.db_startup_timeout, settings.shutdown_timeout) == (60.0, 0.5)
    assert (settings.host, settings.port, settings.workers) == ("::", 65535, 4)
    assert settings.store_kind == "postgres"
    assert settings.libpq_url == env["DATABASE_URL"]


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("TODO_DB_POOL_SIZE", "abc", "an integer >= 1"),
        ("TODO_DB_POOL_SIZE", "0", "an integer >= 1"),
        ("TODO_DB_POOL_SIZE", "1.5", "an integer >= 1"),
        ("TODO_DB_POOL_SIZE", "1_000", "an integer >= 1"),
        ("TODO_DB_TIMEOUT", "0", "a number of seconds > 0"),
        ("TODO_DB_TIMEOUT", "-1", "a number of seconds > 0"),
        ("TODO_DB_TIMEOUT", "nan", "a number of seconds > 0"),
        ("TODO_DB_TIMEOUT", "inf", "a number of seconds > 0"),
        ("TODO_DB_TIMEOUT", "5s", "a number of seconds > 0"),
        ("TODO_DB_PREPARED_STATEMENTS", "maybe", "true/false"),
        ("TODO_MAX_BODY_BYTES", "64k", "an integer >= 1"),
        ("TODO_CORS_ORIGINS", "app.example.com", "comma-separated origins"),
        ("TODO_ACCESS_LOG", "enabled", "true/false"),
        ("TODO_DB_STARTUP_TIMEOUT", "0", "a number of seconds > 0"),
        ("TODO_SHUTDOWN_TIMEOUT", "ten", "a number of seconds > 0"),
        ("TODO_HOST", "local host", "an IP address or a host name"),
        ("TODO_PORT", "0", "an integer from 1 to 65535"),
        ("TODO_PORT", "65536", "an integer from 1 to 65535"),
        ("TODO_WORKERS", "0", "an integer >= 1"),
        ("DATABASE_URL", "mysql://db/tasks", "postgresql://"),
        ("DATABASE_URL", "todo.sqlite3", "postgresql://"),
        ("DATABASE_URL", "sqlite://todo.db", "sqlite:///relative.db"),
        ("DATABASE_URL", "sqlite://", "sqlite:////absolute.db"),
        ("DATABASE_URL", "sqlite:///", "sqlite:///relative.db"),
    ],
)
def test_a_value_a_setting_does_not_allow_is_refused_in_one_line(name: str, value: str, allowed: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({name: value})
    message = str(refused.value)
    assert message.startswith(f"{name}={value!r} is not allowed: expected ")
    assert allowed in message
    assert "\n" not in message


def test_a_value_with_a_new_line_is_still_one_line() -> None:
    with pytest.raises(ConfigurationError, match="TODO_WORKERS") as refused:
        Settings.from_env({"TODO_WORKERS": "2\n3"})
    assert "\n" not in str(refused.value)


def test_a_refused_database_url_does_not_show_its_password() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"DATABASE_URL": "mysql://alex:s3cret@db.example.com/tasks"})
    assert "s3cret" not in str(refused.value)
    assert "mysql://alex:***@db.example.com/tasks" in str(refused.value)


def test_the_help_names_every_variable_with_its_default() -> None:
    text = Settings.help()
    for one in fields(Settings):
        assert one.metadata["env"] in text
        assert one.metadata["doc"] in text
    assert "default sqlite:///todo.sqlite3" in text
    assert "default 10; an integer >= 1" in text


def test_settings_stay_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Settings().pool_size = 3  # type: ignore[misc]


def test_a_refused_cursor_key_is_not_shown() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"TODO_CURSOR_KEY": "hunter2"})
    assert "hunter2" not in str(refused.value)
    assert "at least 32 characters" in str(refused.value)


def test_the_configuration_page_holds_every_setting_as_the_code_declares_it() -> None:
    page = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()

    assert Settings.table() in page
    assert all(f"`{one.metadata['env']}`" in page for one in fields(Settings))


def test_a_env_file_in_the_working_folder_is_read_and_the_real_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("# as .env.example has it\nDATABASE_URL=memory://\nTODO_PORT=9001\nTODO_WORKERS=3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TODO_WORKERS", raising=False)
    monkeypatch.setenv("TODO_PORT", "9002")

    settings = Settings.from_env()

    assert (settings.database_url, settings.workers, settings.port) == ("memory://", 3, 9002)


def test_a_bad_value_in_the_env_file_is_refused_like_any_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("TODO_WORKERS=many\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TODO_WORKERS", raising=False)

    with pytest.raises(ConfigurationError, match="TODO_WORKERS='many'"):
        Settings.from_env()
