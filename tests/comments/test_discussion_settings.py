"""The discussion settings: admin-only, stored in the database over configured defaults."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, replace

import pytest

from api.comments.discussion import DiscussionSettings, configured_defaults
from config import DEFAULTS_FILE, ConfigError, load_settings
from tests.conftest import bearer

URL = "/v1/settings/discussion"


def test_defaults_are_wordpress_defaults_from_the_config(client, admin):
    response = client.get(URL, headers=admin)
    assert response.status_code == 200
    settings = response.get_json()
    assert settings["previously_approved"] is True
    assert settings["max_links"] == 2
    assert settings["flood_interval"] == 15
    assert settings["thread_comments_depth"] == 5
    assert settings["edit_window"] == 900
    assert (settings["require_author_name"], settings["require_author_email"]) == (True, True)
    assert settings["hold_all"] is False
    assert response.headers["Cache-Control"] == "private, no-store"


def test_defaults_toml_documents_the_same_values_as_the_code():
    table = tomllib.loads(DEFAULTS_FILE.read_text())["discussion"]
    coded = asdict(DiscussionSettings())
    assert {key: tuple(v) if isinstance(v, list) else v for key, v in table.items()} == coded


def test_admin_changes_settings_and_every_request_sees_them(client, admin, make_token):
    changed = client.patch(
        URL, json={"max_links": 0, "moderation_keys": [" casino ", "casino", ""]}, headers=admin
    )
    assert changed.status_code == 200
    assert changed.get_json()["max_links"] == 0
    assert changed.get_json()["moderation_keys"] == ["casino"]
    assert client.get(URL, headers=admin).get_json()["max_links"] == 0
    # A later change keeps the earlier ones.
    client.patch(URL, json={"hold_all": True}, headers=admin)
    assert client.get(URL, headers=admin).get_json()["max_links"] == 0

    for role in ("editor", "moderator"):
        token = bearer(make_token(role))
        assert client.get(URL, headers=token).status_code == 403
        assert client.patch(URL, json={"hold_all": False}, headers=token).status_code == 403
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=bearer("mgl_unknown")).status_code == 401


def test_invalid_changes_are_422_and_stale_if_match_is_412(client, admin):
    for bad in (
        {"max_links": -1},
        {"thread_comments_depth": 11},
        {"hold_all": "perhaps"},
        {"disallowed_keys": "viagra"},
        {"no_such_setting": 1},
    ):
        response = client.patch(URL, json=bad, headers=admin)
        assert response.status_code == 422, bad
        assert response.get_json()["errors"]
    etag = client.get(URL, headers=admin).headers["ETag"]
    assert (
        client.patch(URL, json={"max_links": 3}, headers={**admin, "If-Match": etag}).status_code
        == 200
    )
    stale = client.patch(URL, json={"max_links": 4}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(URL, headers=admin).get_json()["max_links"] == 3


def test_configured_defaults_come_from_the_discussion_table(tmp_path):
    config = tmp_path / "marginalia.toml"
    config.write_text("[discussion]\nmax_links = 5\npreviously_approved = false\n")
    settings = load_settings(environ={"MARGINALIA_CONFIG": str(config)})
    defaults = configured_defaults(settings)
    assert (defaults.max_links, defaults.previously_approved) == (5, False)
    assert defaults.flood_interval == 15  # untouched keys keep their defaults
    with pytest.raises(ConfigError, match="max_links"):
        configured_defaults(replace(settings, discussion={"max_links": "many"}))
    with pytest.raises(ConfigError, match="not a discussion setting"):
        configured_defaults(replace(settings, discussion={"max_linkz": 3}))


def test_comment_settings_in_the_config_are_checked_at_start():
    with pytest.raises(ConfigError, match="RATELIMIT_COMMENTS_IP"):
        load_settings(environ={"MARGINALIA_RATELIMIT_COMMENTS_IP": "lots"})
    with pytest.raises(ConfigError, match="OIDC_ALGORITHMS"):
        load_settings(environ={"MARGINALIA_OIDC_ALGORITHMS": "HS256"})
    with pytest.raises(ConfigError, match="https"):
        load_settings(environ={"MARGINALIA_OIDC_ISSUERS": "http://issuer.example"})
    local = load_settings(
        environ={
            "MARGINALIA_OIDC_ISSUERS": "http://127.0.0.1:9999",
            "MARGINALIA_ALLOW_PRIVATE_TARGETS": "true",
        }
    )
    assert local.oidc_issuers == ("http://127.0.0.1:9999",)


def test_stored_values_a_release_no_longer_accepts_fall_back_to_the_defaults(app, client, admin):
    """A stored key that was renamed, or a value outside a tightened range, is skipped:
    the rest of the stored changes still apply, and the site keeps taking comments."""
    from api.comments.models import DiscussionSettingsRow
    from api.infra.database import db

    with app.app_context():
        db.session.add(
            DiscussionSettingsRow(
                id=1, values={"max_links": 7, "flood_interval": -5, "retired_setting": True}
            )
        )
        db.session.commit()
        db.session.remove()
    settings = client.get(URL, headers=admin).get_json()
    assert settings["max_links"] == 7
    assert settings["flood_interval"] == 15  # the configured default
    assert "retired_setting" not in settings
