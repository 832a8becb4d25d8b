"""The test fixtures' own servers end completely: a worker runs hundreds of tests that each
start a web server, so a server that leaves its request threads behind adds up."""

from __future__ import annotations

import threading

from waitress.server import create_server

from tests.conftest import serve_until_closed, stop_server


def _waitress_threads() -> int:
    return sum(t.name.startswith("waitress-") for t in threading.enumerate())


def test_a_stopped_test_server_leaves_no_request_threads() -> None:
    before = _waitress_threads()
    for _ in range(3):
        server = create_server(lambda env, start: [], host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
        thread.start()
        assert _waitress_threads() == before + 4
        stop_server(server, thread)
    assert _waitress_threads() == before
