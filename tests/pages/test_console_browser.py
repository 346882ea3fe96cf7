"""The moderation console in Chromium against the real API of a `marginalia serve`."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from api.demo.loader import POST_SLUG
from tests.pages.conftest import PROJECT_ROOT, run

SCREENSHOT = PROJECT_ROOT / "artifacts" / "console.png"
NEW_AUTHOR = "The author has no approved comment yet."


class Api:
    """The public API, as a test client would call it."""

    def __init__(self, served):
        self.http = httpx.Client(base_url=served.base_url, timeout=10)
        self.moderator = self.token(served.env, "moderator", "console-e2e")
        self.admin = self.token(served.env, "admin", "console-e2e-admin")

    @staticmethod
    def token(env, role, name) -> str:
        return run(env, "token", "create", "--role", role, "--name", name).stdout.strip()

    def staff(self, token) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def comment(self, name: str, body: str) -> int:
        response = self.http.post(
            f"/v1/posts/{POST_SLUG}/comments",
            json={"author_name": name, "author_email": f"{name.lower()}@example.org", "body": body},
        )
        assert response.status_code == 202, response.text  # accepted, held for moderation
        assert response.json()["status"] == "pending"
        return response.json()["id"]

    def no_flood_wait(self) -> None:
        response = self.http.patch(
            "/v1/settings/discussion", json={"flood_interval": 0}, headers=self.staff(self.admin)
        )
        assert response.status_code == 200, response.text

    def public_ids(self) -> set[int]:
        response = self.http.get(f"/v1/posts/{POST_SLUG}/comments", params={"limit": 100})
        return {item["id"] for item in response.json()["items"]}

    def moderation(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.http.request(
            method, f"/v1/moderation{path}", headers=self.staff(self.moderator), **kwargs
        )


@pytest.fixture
def api(served):
    client = Api(served)
    client.no_flood_wait()
    yield client
    client.http.close()


def sign_in(page, served, token) -> None:
    page.goto(f"{served.base_url}/console/")
    page.get_by_label("Moderator token").fill(token)
    page.get_by_label("Moderator token").press("Enter")
    page.locator("#queue .item").first.wait_for()


def queue_ids(page) -> list[int]:
    ids = page.eval_on_selector_all("#queue .item", "nodes => nodes.map(n => n.dataset.id)")
    return [int(i) for i in ids]


def wait_for_queue(page, count: int) -> None:
    try:
        page.wait_for_function(
            "n => document.querySelectorAll('#queue .item').length === n", arg=count, timeout=10_000
        )
    except PlaywrightTimeout:
        status, alert = page.inner_text("#status"), page.inner_text("#alert")
        focused = page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
        raise AssertionError(
            f"queue {queue_ids(page)} is not {count} long; status {status!r}, alert {alert!r}, "
            f"focus on {focused}, browser errors {page.errors}"
        ) from None


def test_a_moderator_clears_the_demo_queue_with_the_keyboard(page, served, api):
    demo_pending = api.moderation("GET", "/comments").json()["items"]
    assert len(demo_pending) == 1  # the demo loader's pending comment
    before = api.public_ids()
    linked = api.comment(
        "Lin", "Sources: [a](https://a.example), [b](https://b.example), [c](https://c.example)"
    )
    plain = api.comment("Ola", "Which **edition** was translated?")
    queue = [demo_pending[0]["id"], linked, plain]  # oldest first

    sign_in(page, served, api.moderator)
    wait_for_queue(page, 3)
    assert queue_ids(page) == queue
    first = page.locator(f"#comment-{queue[0]}")
    assert demo_pending[0]["post"]["title"] in first.locator(".title").inner_text()
    assert "sam@example.net" in first.locator(".author").inner_text()
    for reason in demo_pending[0]["reasons"]:  # the stored rule reasons, as the API has them
        assert reason["rule"] in first.locator(".reasons").inner_text()
        assert reason["reason"] in first.locator(".reasons").inner_text()
    assert NEW_AUTHOR in page.locator(f"#comment-{plain} .reasons").inner_text()
    links = page.locator(f"#comment-{linked} .reasons").inner_text()
    assert "too_many_links" in links and "3 links" in links
    assert page.locator(f"#comment-{plain} .body strong").inner_text() == "edition"  # rendered
    assert page.locator("#statuses [aria-pressed=true]").inner_text().split() == ["Pending", "3"]
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The token lives in this tab's sessionStorage: not in the URL, not in a cookie.
    assert api.moderator not in page.url
    assert page.context.cookies() == []
    assert page.evaluate("Object.values(sessionStorage)") == [api.moderator]

    page.keyboard.press("a")  # approve the current (first) comment
    wait_for_queue(page, 2)
    assert "approved" in page.locator("#status").inner_text()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("#selected-count").inner_text() == "2 selected"
    page.keyboard.press("s")  # one batch for the selection
    wait_for_queue(page, 0)
    assert "2 comments marked as spam (one batch)" in page.locator("#status").inner_text()
    log = api.moderation("GET", "/log", params={"comment_id": linked}).json()["items"]
    assert log[0]["to_status"] == "spam" and log[0]["batch_id"]

    page.keyboard.press("u")  # undo the batch: both back in the queue
    wait_for_queue(page, 2)
    assert queue_ids(page) == [linked, plain]
    assert "Undone" in page.locator("#status").inner_text()

    counts = api.moderation("GET", "/counts").json()
    assert (counts["pending"], counts["spam"]) == (2, 0)
    assert api.public_ids() - before == {queue[0]}  # exactly the approved one is visible
    assert page.errors == []  # no script error, no CSP violation
    assert page.blocked == []
    log = served.process.stop()
    assert '"path": "/v1/moderation/comments/batch"' in log  # the requests were logged,
    assert api.moderator not in log  # the token never


def test_stale_and_refused_decisions_and_claims_on_a_phone(page, served, api):
    approved = api.moderation("GET", "/counts").json()["approved"]
    first = api.comment("Ida", "First question.")
    second = api.comment("Jo", "Second question.")
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, served, api.moderator)
    wait_for_queue(page, 3)
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Another moderator approves `first` after the console loaded it: 412, refreshed.
    changed = api.moderation("PATCH", f"/comments/{first}", json={"status": "approved"})
    assert changed.status_code == 200
    page.locator(f"#comment-{first} [data-decide=trash]").click()
    page.get_by_role("alert").filter(has_text="changed by someone else").wait_for()
    assert "it is approved now" in page.get_by_role("alert").inner_text()
    wait_for_queue(page, 2)  # it left the pending list

    # A batch with an illegal transition changes nothing and says why (409).
    trashed = api.moderation("PATCH", f"/comments/{second}", json={"status": "trash"})
    assert trashed.status_code == 200
    for item in page.locator("#queue .pick").all():
        item.check()
    page.get_by_role("button", name="Approve selected").click()
    page.get_by_role("alert").filter(has_text="Nothing changed").wait_for()
    assert f"#{second}" in page.get_by_role("alert").inner_text()
    assert api.moderation("GET", "/counts").json()["approved"] == approved + 1  # `first` only

    # Claims: the lease is shown, and a second moderator cannot take the same items.
    page.get_by_label("Claim next").fill("5")
    page.get_by_role("button", name="Claim", exact=True).click()
    page.locator("#lease").filter(has_text="claimed by you until").wait_for()
    assert page.locator(".badge.mine").count() == 1
    other = api.token(served.env, "moderator", "other-moderator")
    taken = api.http.post("/v1/moderation/claims", json={"limit": 5}, headers=api.staff(other))
    assert taken.json()["items"] == []
    page.get_by_role("button", name="Release").click()
    page.locator("#status").filter(has_text="released").wait_for()
    assert api.http.post(
        "/v1/moderation/claims", json={"limit": 5}, headers=api.staff(other)
    ).json()["items"]

    # The refused calls above are the only errors the browser logged.
    assert all("status of 4" in error for error in page.errors), page.errors


def test_a_refused_token_never_reaches_the_console(page, served):
    page.goto(f"{served.base_url}/console/")
    page.get_by_label("Moderator token").fill("mgl_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="refused").wait_for()
    assert page.locator("#console").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert "token" not in page.url
