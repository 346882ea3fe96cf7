"""Settings: defaults, then a TOML file, then MARGINALIA_* variables; bad values fail early."""

import pytest

from config import ConfigError, load_settings


def test_embedded_defaults():
    settings = load_settings(environ={})
    assert settings.database_url == ""
    assert settings.redis_url == "" and not settings.uses_redis
    assert settings.runs_inline_worker
    assert settings.site_url == "http://localhost:8000/posts/{slug}/"
    assert settings.oidc_issuers == () and settings.oidc_audience == "marginalia"
    assert settings.allow_private_targets is False
    assert settings.cors_origins == ("*",)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.trusted_proxies == 0 and settings.ratelimits is True


def test_toml_file_then_environment_override(tmp_path):
    config_file = tmp_path / "prod.toml"
    config_file.write_text(
        'site_url = "https://blog.example/{slug}/"\nport = 9000\n'
        'oidc_issuers = ["https://a.example", "https://b.example"]\n'
        'redis_url = "redis://cache:6379/0"\n'
    )
    settings = load_settings(
        environ={
            "MARGINALIA_CONFIG": str(config_file),
            "MARGINALIA_PORT": "9100",
            "MARGINALIA_RATELIMITS": "false",
            "MARGINALIA_CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert settings.site_url == "https://blog.example/{slug}/"
    assert settings.port == 9100
    assert settings.ratelimits is False
    assert settings.oidc_issuers == ("https://a.example", "https://b.example")
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.uses_redis and not settings.runs_inline_worker


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MARGINALIA_PORT", "eighty", "MARGINALIA_PORT must be an integer"),
        ("MARGINALIA_PORT", "0", "MARGINALIA_PORT must be an integer >= 1"),
        ("MARGINALIA_RATELIMITS", "perhaps", "MARGINALIA_RATELIMITS must be true or false"),
        ("MARGINALIA_SITE_URL", "https://blog.example/", "must contain {slug}"),
        ("MARGINALIA_REDIS_URL", "localhost:6379", "must start with redis://"),
        ("MARGINALIA_DATABASE_URL", "just-a-file.db", "not a SQLAlchemy URL"),
        ("MARGINALIA_TRUSTED_PROXIES", "-1", "MARGINALIA_TRUSTED_PROXIES must be an integer >= 0"),
        ("MARGINALIA_OIDC_ISSUERS", "accounts.example", "must be URLs"),
    ],
)
def test_bad_settings_fail_with_one_line_naming_the_variable(variable, value, message):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={variable: value})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_or_broken_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(environ={"MARGINALIA_CONFIG": str(tmp_path / "absent.toml")})
    broken = tmp_path / "broken.toml"
    broken.write_text("port = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={"MARGINALIA_CONFIG": str(broken)})
