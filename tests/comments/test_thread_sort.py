"""The public thread, oldest or newest first (issue 20), with its threads intact."""

from __future__ import annotations


def test_sort_newest_and_oldest_with_parent_ids_kept(client, post, submit, approve, discussion):
    discussion(flood_interval=0, previously_approved=False)
    ids = []
    for n in range(3):
        answer = submit(post["slug"], f"Top {n}.", author_email=f"r{n}@example.org")
        approve(answer.get_json()["id"])
        ids.append(answer.get_json()["id"])
    reply = submit(post["slug"], "A reply.", parent_id=ids[0], author_email="x@example.org")
    approve(reply.get_json()["id"])
    ids.append(reply.get_json()["id"])

    url = f"/v1/posts/{post['slug']}/comments"
    oldest = client.get(url).get_json()["items"]
    assert [c["id"] for c in oldest] == ids
    assert client.get(f"{url}?sort=oldest").get_json()["items"] == oldest

    first = client.get(f"{url}?sort=newest&limit=2").get_json()
    second = client.get(f"{url}?sort=newest&limit=2&cursor={first['next_cursor']}").get_json()
    newest = first["items"] + second["items"]
    # Newest threads first; the reply stays right below the comment it answers.
    assert [c["id"] for c in newest] == [ids[2], ids[1], ids[0], ids[3]]
    assert newest[3]["parent_id"] == ids[0]
    back = client.get(f"{url}?sort=newest&limit=2&cursor={second['prev_cursor']}").get_json()
    assert back["items"] == first["items"]
    assert client.get(f"{url}?sort=random").status_code == 422
