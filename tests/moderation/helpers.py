"""Helpers of the moderation tests."""


def decide(client, headers, comment_id: int, status: str, **fields):
    return client.patch(
        f"/v1/moderation/comments/{comment_id}",
        json={"status": status, **fields},
        headers=headers,
    )
