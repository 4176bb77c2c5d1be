"""Which worker process answered a request, and waiting until each one has.

A test that needs every worker (each keeps its own caches and counters) cannot
count on the kernel spreading a fixed number of connections over them: on a busy
machine one worker may take them all. These helpers open connections until each
worker has answered, up to a bound, and fail saying so.
"""

from collections.abc import Callable

import httpx


def worker_of(response: httpx.Response) -> str:
    """The answering worker: a request id starts with a part random per worker process
    (app/http/access_log.py)."""
    return response.headers["X-Request-ID"].rsplit("-", 1)[0]


def until_each_worker_answered(send: Callable[[], httpx.Response], workers: int = 2,
                               most: int = 200) -> list[httpx.Response]:
    """Call ``send`` (which must open a new connection each time, so any worker may
    take it) until ``workers`` distinct workers have answered; every response, in
    order. At most ``most`` calls."""
    responses: list[httpx.Response] = []
    seen: set[str] = set()
    while len(seen) < workers:
        if len(responses) >= most:
            raise AssertionError(f"only {len(seen)} of {workers} workers answered "
                                 f"{len(responses)} new connections")
        response = send()
        responses.append(response)
        seen.add(worker_of(response))
    return responses
