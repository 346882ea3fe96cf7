"""What a client may take to send a request, and how big it may be."""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

log = logging.getLogger("marginalia.server")

# A browser or API client sends its request headers in one packet; ten seconds covers a
# slow mobile link. A body of MARGINALIA_MAX_BODY_BYTES (512 KiB by default) at 20 KB/s
# still fits in thirty.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
# The whole header block (request line included). gunicorn caps each line
# (limit_request_line 4094 -> 414, limit_request_field_size 8190 -> 431) and the number
# of fields (100 -> 431), which alone would let one connection hold ~800 KB.
MAX_HEADER_BYTES = 32 * 1024
# Enough descriptors for thousands of held connections per process; never lowered.
WANTED_OPEN_FILES = 65536


@dataclass(frozen=True)
class ReadLimits:
    max_body_bytes: int
    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    max_header_bytes: int = MAX_HEADER_BYTES


def raise_open_file_limit(wanted: int = WANTED_OPEN_FILES) -> int:
    """Lift the soft RLIMIT_NOFILE towards the hard one; return the soft limit in force.

    Each held connection is a descriptor; at the usual soft limit of 1024 a few hundred
    slow clients and the accept loop would run out, and asyncio then stops accepting
    for a second at a time, which every honest client would feel.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < 4096:
        log.warning("open-file limit is %d: few slow clients can be held at once", soft)
    return soft
