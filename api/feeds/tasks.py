"""The feeds' worker task: pinging the WebSub hub."""

from api.feeds.websub import ping_hub
from api.infra.queue import current_app_for_tasks, task


@task()
def ping_websub_hub(topics: list[str]) -> int:
    """Tell the WebSub hub which feeds changed (queued by the `websub` consumer)."""
    return ping_hub(current_app_for_tasks().config["MARGINALIA"], topics)
