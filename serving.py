"""Savedesk's processes: `web` (the HTTP server; with `python app.py`, a worker process
beside it), `worker` (the schedule and delivery while it holds the scheduler lock, and its
job processes) and `jobs` (claims jobs only).

Like app.py, only the standard library loads with this module; each function imports what
it needs. docs/operations.md, *Deployment*.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.policy import Policy
    from bot.runtime.services import Services
    from bot.runtime.settings import Settings

log = logging.getLogger("savedesk")

EXIT_OK = 0
WORKER_NICE = 10  # nice(2) increment of a worker: on a shared machine acks go first
TOKEN_ERRORS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked")


class StartupError(RuntimeError):
    """Start-up cannot go on; the message is the one line the operator sees."""


def open_services(settings: Settings, policy: Policy) -> Services:
    """Build services and bring the schema to head (a fresh database gets its tables)."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import one_line
    from wiring import build_services

    services = build_services(settings, policy)
    try:
        services.db.migrate()
    except SQLAlchemyError as err:
        raise StartupError(f"DATABASE_URL: cannot use the database ({one_line(err)})") from None
    return services


def serve(settings: Settings, policy: Policy, *, web: bool, worker: bool) -> int:
    """`web`, `worker`, or both (`python app.py`: the web server here and a worker process
    beside it). Nothing accepted lives only in memory (bot/runtime/jobs.py), so a stop or a
    `kill -9` at any moment loses nothing; SIGTERM finishes the jobs in hand."""
    if not web:
        return run_worker(settings, policy)
    from bot.runtime.process import ChildProcess, stop_listening_for_signals
    from handlers.slack_app import build_bolt_app
    from handlers.web import MAX_BODY_BYTES, create_web_app

    listener = bind_port(settings.port, settings.host)  # a busy port stops here, first
    services = open_services(settings, policy)
    slack_identity = check_slack(services)  # a rejected token stops here, before the worker
    bolt_app = build_bolt_app(services, slack_identity)
    from waitress.server import create_server

    web_app = create_web_app(services, bolt_app, "all" if worker else "web")
    server = create_server(
        web_app,
        sockets=[listener],
        threads=settings.web_threads,
        max_request_body_size=MAX_BODY_BYTES,
    )
    if settings.socket_mode:
        start_socket_mode(bolt_app, settings)
    child = ChildProcess(services.health, "worker", "worker-process") if worker else None
    if child is not None:
        child.start()

    def on_term(*_: object) -> None:
        stop_listening_for_signals()  # a second SIGTERM or Ctrl-C must not cut the stop short
        raise SystemExit(EXIT_OK)  # unwinds waitress's loop

    signal.signal(signal.SIGTERM, on_term)
    log.info("Savedesk listening on port %s", settings.port)
    try:
        server.run()
    finally:
        if child is not None:
            child.stop()
    return EXIT_OK


def run_worker(settings: Settings, policy: Policy, *, schedule: bool = True) -> int:
    """`python app.py worker`: run the scheduler and delivery while holding the scheduler
    lock, and claim jobs in JOB_PROCESSES job processes (on threads here when 0), until
    SIGTERM or Ctrl-C (the jobs in hand are finished first). `schedule=False` is
    `python app.py jobs`: claim jobs only. With HEALTH_PORT, serve `/healthz` there. A
    child process also ends when the process that started it is gone."""
    from bot.runtime.process import PARENT_ENV, end_with_parent, stop_listening_for_signals
    from bot.runtime.worker import Worker

    services = open_services(settings, policy)
    os.nice(WORKER_NICE if schedule else 0)  # beside a web process, acknowledgements come first
    processes = settings.job_processes if schedule else 0
    worker = Worker(services, settings.job_threads, job_processes=processes, schedule=schedule)
    stop = worker.stop_event

    def on_term(*_: object) -> None:
        stop_listening_for_signals()
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    parent = os.environ.get(PARENT_ENV)
    if parent:
        threading.Thread(target=end_with_parent, args=(int(parent), stop), daemon=True).start()
    worker.start()
    if settings.health_port:
        serve_health(services, settings.health_port)
    stop.wait()
    worker.stop()
    return EXIT_OK


def serve_health(services: Services, port: int) -> None:
    """`/healthz` of a worker process, on a thread of its own."""
    from waitress.server import create_server

    from handlers.web import create_health_app

    sockets = [bind_port(port, services.settings.host)]
    server = create_server(create_health_app(services, "worker"), sockets=sockets)
    threading.Thread(target=server.run, name="health-http", daemon=True).start()


class PortInUse(StartupError):
    """Another process listens on the port already (often a Savedesk started earlier)."""


def bind_port(port: int, host: str = "0.0.0.0") -> socket.socket:
    """A listening socket on `host` (`HOST`, every interface by default) and `port`, before
    anything says "listening". IPv6 addresses and host names work as well as IPv4.

    Raises PortInUse, or StartupError naming HOST or PORT (needs privileges, not an
    address of this machine).
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as err:
        raise StartupError(f"HOST: cannot listen on {host!r} ({err.strerror})") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does
    try:
        sock.bind(address)
        sock.listen(1024)
        return sock
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            why = "is already in use (is Savedesk already running?); stop that process or "
            raise PortInUse(f"PORT: {port} {why}set PORT to a free port") from None
        if err.errno == errno.EACCES:
            raise StartupError(f"PORT: {port} needs privileges; use a port above 1023") from None
        if err.errno == errno.EADDRNOTAVAIL:
            raise StartupError(f"HOST: {host} is not an address of this machine") from None
        raise StartupError(f"PORT: cannot listen on {port} ({err.strerror or err})") from None


def start_socket_mode(bolt_app: object, settings: Settings) -> None:
    from slack_sdk.errors import SlackApiError

    from handlers.socket_mode import StampingHandler

    handler = StampingHandler(bolt_app, settings.slack_app_token)  # type: ignore[arg-type]
    try:
        handler.connect()
    except SlackApiError as err:
        error = err.response.get("error")
        raise StartupError(f"SLACK_APP_TOKEN: Slack refused Socket Mode ({error})") from None
    except OSError as err:
        raise StartupError(f"SLACK_APP_TOKEN: cannot reach Slack for Socket Mode ({err})") from None
    log.info("Slack traffic arrives over Socket Mode")


def check_slack(services: Services) -> object | None:
    """Fail fast on a rejected token; an unreachable Slack only warns (the outbox waits)."""
    from slack_sdk.errors import SlackApiError

    from bot.runtime.checkup import install_waiting
    from slack_edge.installs import NOT_INSTALLED

    try:
        return services.api.auth_test()
    except SlackApiError as err:
        error = err.response.get("error")
        if error in TOKEN_ERRORS and not services.settings.oauth_mode:  # OAuth: reinstall
            raise StartupError(f"SLACK_BOT_TOKEN: Slack rejected it ({error})") from None
        waiting = install_waiting(services) if error == NOT_INSTALLED else None
        if waiting is not None:  # OAuth mode: no installation holds a token (none asked)
            log.warning("Slack: %s; messages will wait in the outbox", waiting)
            return None
        log.warning("Slack answered auth.test with %s; messages will wait in the outbox", error)
        return None
    except OSError as err:
        log.warning("Slack is not reachable right now (%s); messages will wait in the outbox", err)
        return None
