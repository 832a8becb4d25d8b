"""Opening a case after the acknowledgement, off the listener's thread.

Bolt runs listeners on a small pool of threads and answers Slack from there when `ack()` is
called; case work done afterwards on the same thread kept that thread from acknowledging
the next request, so a burst of `/churn cancel` queued acknowledgements behind case work
(bench/README.md, *Bursts*). The work goes to `services.after_ack` instead.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.cases.models import Signal
from bot.services import Services
from handlers.errors import apology


def open_after_ack(
    services: Services,
    account_id: int,
    signal: Signal,
    respond: Callable[..., object] | None = None,
) -> None:
    """Open (or attach to) the case once this listener has acknowledged. A failure is
    logged under a reference that `respond` (the command's response_url) tells the user."""

    def failed(reference: str) -> None:
        if respond is not None:
            respond(text=apology(reference), response_type="ephemeral", replace_original=False)

    services.after_ack.call(open_case, services, account_id, signal, on_error=failed)


def open_case(services: Services, account_id: int, signal: Signal) -> None:
    """The case work itself (a job for `bot.case_work`: module-level, picklable arguments)."""
    services.signals.open(account_id, signal)
