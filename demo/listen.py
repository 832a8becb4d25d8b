"""Where the demo page listens: this machine only, and a free port to suggest when the one
asked for is taken. Standard library only: `app.py demo` binds before anything heavy loads.
"""

from __future__ import annotations

import socket

DEMO_HOST = "127.0.0.1"  # the demo is for the person at this machine only


def free_port_after(port: int, tries: int = 50) -> int:
    """The first port above `port` that nothing listens on (one the system picks when
    none of the next `tries` is free)."""
    for candidate in [*range(port + 1, min(port + 1 + tries, 65536)), 0]:
        with socket.socket() as probe:
            try:
                probe.bind((DEMO_HOST, candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on this machine")  # pragma: no cover - port 0 always binds
