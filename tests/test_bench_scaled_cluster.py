"""bench/scaled_engine.py and bench/bare_proxy.py on a cluster: the ports its nodes get, and
the bare proxy picking a host for each engine request as the service's client does."""

import socket
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import scaled_engine
from bare_proxy import engine_pool
from scaled_engine import TRANSPORT_OFFSET, cluster_base_port, port_is_free

from scaled.transport import CONNECT_SHARE


def test_a_cluster_gets_a_base_port_whose_http_and_transport_ports_are_all_free():
    base = cluster_base_port(3)

    ports = [base, base + 1, base + 2,
             base + TRANSPORT_OFFSET, base + TRANSPORT_OFFSET + 1, base + TRANSPORT_OFFSET + 2]
    assert all(port_is_free(port) for port in ports)


def test_a_base_whose_transport_ports_are_taken_is_passed_over(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        # The first base offered has its second node's transport port in use by `taken`.
        crowded = taken.getsockname()[1] - TRANSPORT_OFFSET - 1
        offered = iter([crowded, scaled_engine.free_port()])
        # A fake free_port only to offer the crowded base first; the ports are real.
        monkeypatch.setattr(scaled_engine, "free_port", lambda: next(offered))

        base = cluster_base_port(3)

    assert base != crowded


def test_the_bare_proxy_spreads_its_requests_over_the_hosts_round_robin():
    pool = engine_pool("opensearch+http://127.0.0.1:9201,127.0.0.1:9202,127.0.0.1:9203")

    picked = [pool.get_connection() for _ in range(9)]

    assert {connection.port for connection in picked[:3]} == {9201, 9202, 9203}
    assert Counter(connection.port for connection in picked) == {9201: 3, 9202: 3, 9203: 3}
    # A host that does not accept soon counts as down, as in the service's client.
    assert picked[0]._connect_limit == picked[0].timeout * CONNECT_SHARE


def test_one_host_gets_every_request_and_the_whole_timeout():
    pool = engine_pool("opensearch+http://127.0.0.1:9201")

    assert {pool.get_connection().port for _ in range(3)} == {9201}
    assert pool.get_connection()._connect_limit is None
