"""`marginalia demo`: the seed page as content, through the same services the API uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app

from api.auth.policy import system_actor
from api.comments import services as comments
from api.content import services as posts
from api.content.taxonomy import authors, tags
from api.demo.seed import read_seed
from api.errors import NotFound
from api.events.dispatch import dispatch_pending
from api.infra.unit_of_work import unit_of_work

SYSTEM = system_actor("demo loader")
AUTHOR = {
    "name": "China Copyright and Media",
    "slug": "china-copyright-and-media",
    "bio": "Translations of and commentary on Chinese law and policy documents on media, "
    "copyright and the Internet.",
    "website": "https://chinacopyrightandmedia.wordpress.com/",
}
TAGS = [
    ("Cybersecurity", "Cybersecurity and Internet governance."),
    ("Speeches", "Speeches by Chinese leaders, translated."),
    ("Translations", "Full or summarised translations of Chinese texts."),
]
POST_SLUG = "liu-yunshan-safeguard-cybersecurity-build-a-strong-network-country"
UPDATES_SLUG = "latest-updates"
# Readers' comments on the demo post: one approved, a reply to it, one awaiting moderation.
COMMENTS = [
    {
        "author_name": "Wen, a reader",
        "author_email": "wen@example.org",
        "body": "Thank you for translating this. The passage on *network sovereignty* "
        "reads very differently in full than in the news summaries.",
        "status": "approved",
        "created_at": datetime(2014, 11, 26, 10, 15, tzinfo=UTC),
    },
    {
        "author_name": "China Copyright and Media",
        "author_url": "https://chinacopyrightandmedia.wordpress.com/",
        "body": "Thanks! The original is linked from the Xinhua page; the summaries "
        "drop most of the second half.",
        "status": "approved",
        "created_at": datetime(2014, 11, 26, 14, 2, tzinfo=UTC),
        "reply_to": 0,
    },
    {
        "author_name": "Sam",
        "author_email": "sam@example.net",
        "body": "Is there a glossary for the terms used here, such as 网络强国?",
        "status": "pending",
        "created_at": datetime(2014, 11, 28, 8, 40, tzinfo=UTC),
    },
]


def is_loaded() -> bool:
    try:
        posts.get_post(SYSTEM, POST_SLUG)
    except NotFound:
        return False
    return True


def load_demo(progress: Callable[[str], None] = lambda step: None) -> bool:
    """Load the demo content once, in one unit of work; returns False when it was
    already there."""
    if is_loaded():
        return False
    with unit_of_work():
        _create_demo(progress)
    # The digest's pingback on the post, now rather than when a worker gets to it.
    progress("pingback")
    dispatch_pending()
    return True


def _create_demo(progress: Callable[[str], None]) -> None:
    seed = read_seed()
    settings = current_app.config["MARGINALIA"]
    progress("author")
    authors.create(SYSTEM, AUTHOR)
    for name, description in TAGS:
        progress(f"tag {name}")
        tags.create(SYSTEM, {"name": name, "description": description})
    progress("post")
    post = posts.create_post(
        SYSTEM,
        {
            "title": seed.title,
            "slug": POST_SLUG,
            "body": "\n\n".join(seed.paragraphs),
            "excerpt": seed.paragraphs[0],
            "status": "published",
            "published_at": datetime(2014, 11, 25, 9, 0, tzinfo=UTC),
            "author": AUTHOR["slug"],
            "tags": ["cybersecurity", "speeches", "translations"],
            "comments_open": True,
        },
    )
    # The page that pinged the post: a digest linking it, as in the seed's pingback.
    progress("linking post")
    post_url = settings.site_url.replace("{slug}", POST_SLUG)
    posts.create_post(
        SYSTEM,
        {
            "title": seed.pingback_source.split(" « ")[0],
            "slug": UPDATES_SLUG,
            "body": (
                "New translations this week:\n\n"
                # The no-break space is the seed page's own.
                f"- [{seed.title}]({post_url})\xa0(Speech, Liu Yunshan, 24 November 2014)\n"
            ),
            "status": "published",
            "published_at": datetime(2015, 2, 21, 8, 53, tzinfo=UTC),
            "author": AUTHOR["slug"],
            "tags": ["translations"],
            "comments_open": True,
        },
    )
    progress("comments")
    created: list[int] = []
    for comment in COMMENTS:
        fields = {key: value for key, value in comment.items() if key != "reply_to"}
        if "reply_to" in comment:
            fields["parent_id"] = created[comment["reply_to"]]
        created.append(comments.import_comment(post_id=post.id, **fields).id)
