"""Settings: every missing or malformed variable names itself in one line."""

from __future__ import annotations

import pytest

from bot.runtime.settings import SettingsError, load_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def settings_error(**env: str) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, **env})
    return str(caught.value)


def test_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.database_url == "sqlite:///savedesk.db"
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert str(settings.policy_file) == "policy.toml"
    assert not settings.socket_mode
    assert settings.slack_api_url is None


def test_missing_bot_token_is_named() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN is required"):
        load_settings({"SLACK_SIGNING_SECRET": "s"})


def test_bot_token_must_be_a_bot_token() -> None:
    assert settings_error(SLACK_BOT_TOKEN="xoxp-user").startswith("SLACK_BOT_TOKEN must start")


def test_signing_secret_required_without_socket_mode() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is required"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"})


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL: not a database URL"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: 'mysql' is not supported"),
        ("DATABASE_URL", "postgresql+nodriver://u@h/d", "DATABASE_URL: driver"),
        ("PORT", "eighty", "PORT: 'eighty' is not a port number"),
        ("PORT", "70000", "PORT: '70000' is not a port number"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: 'LOUD' is not one of"),
        ("SLACK_API_URL", "ftp://x", "SLACK_API_URL: 'ftp://x' is not an http(s) URL"),
        ("SLACK_APP_TOKEN", "xoxb-2", "SLACK_APP_TOKEN must start with xapp-"),
    ],
)
def test_malformed_values_are_named(name: str, value: str, expected: str) -> None:
    message = settings_error(**{name: value})
    assert message.startswith(expected)
    assert "\n" not in message


def test_postgres_urls_use_psycopg3() -> None:
    settings = load_settings({**BASE, "DATABASE_URL": "postgres://u@h/db"})
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_api_url_gets_trailing_slash() -> None:
    settings = load_settings({**BASE, "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


def test_describe_never_shows_secrets() -> None:
    settings = load_settings(
        {
            **BASE,
            "DATABASE_URL": "postgresql+psycopg://u:hunter2@h/db",
            "SLACK_SIGNING_SECRET": "zz",
        }
    )
    text = settings.describe()
    assert "hunter2" not in text
    assert "xoxb-1" not in text


def test_web_threads_and_pool_size() -> None:
    settings = load_settings({**BASE, "WEB_THREADS": "12", "DATABASE_POOL_SIZE": "20"})
    assert (settings.web_threads, settings.database_pool_size) == (12, 20)
    assert "12 web threads" in settings.describe()
    assert settings_error(WEB_THREADS="0").startswith("WEB_THREADS: '0' is not a whole number")
    assert settings_error(DATABASE_POOL_SIZE="ten").startswith("DATABASE_POOL_SIZE: 'ten'")


def test_job_threads_and_the_workers_health_port() -> None:
    settings = load_settings(BASE)
    assert (settings.job_threads, settings.health_port) == (2, None)
    assert "Jobs: 2 threads in each of 1 job process per worker" in settings.describe()
    other = load_settings({**BASE, "JOB_THREADS": "4", "HEALTH_PORT": "8081", "JOB_PROCESSES": "0"})
    assert (other.job_threads, other.health_port, other.job_processes) == (4, 8081, 0)
    assert "worker health on port 8081" in other.describe()
    assert "(on the worker's own threads)" in other.describe()
    assert load_settings({**BASE, "JOB_PROCESSES": "3"}).job_processes == 3
    assert settings_error(JOB_PROCESSES="17") == (
        "JOB_PROCESSES: '17' is not a whole number from 0 to 16"
    )
    assert settings_error(JOB_THREADS="0") == "JOB_THREADS: '0' is not a whole number from 1 to 64"
    assert settings_error(HEALTH_PORT="http").startswith("HEALTH_PORT: 'http' is not a port")
    for odd in ("²", "٢", "+2", "2.0"):  # digits Python reads, or not, are refused alike
        assert settings_error(JOB_THREADS=odd).startswith("JOB_THREADS: ")


def test_pool_size_reaches_the_engine(tmp_path) -> None:
    from bot.policy import parse_policy
    from wiring import build_services

    env = {**BASE, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "DATABASE_POOL_SIZE": "7"}
    services = build_services(load_settings(env), parse_policy("", "p.toml"))
    try:
        assert services.db.engine.pool.size() == 7
    finally:
        services.db.dispose()


def test_oauth_mode_needs_client_id_and_secret_and_no_bot_token() -> None:
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "abc123", "SLACK_SIGNING_SECRET": "s"}
    settings = load_settings(oauth)
    assert settings.oauth_mode and settings.slack_bot_token == ""
    assert "OAuth installs (/slack/install)" in settings.describe()
    assert not load_settings({**oauth, "SLACK_BOT_TOKEN": "xoxb-1"}).oauth_mode  # one token wins
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is required"):
        load_settings({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"})
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET still holds the example"):
        load_settings({**oauth, "SLACK_CLIENT_SECRET": "your-client-secret"})
