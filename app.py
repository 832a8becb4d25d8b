"""Savedesk's entry point: `python app.py [web|worker|tick|import|migrate|check|demo]`.

Settings and policy are read here, once, and passed down. A bad setting or policy stops
start-up with one line naming it and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from dotenv import load_dotenv
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.case_work import CaseWorkers
from bot.imports.accounts import AccountImporter
from bot.imports.csvfile import ImportFileError
from bot.imports.invoices import InvoiceImporter
from bot.policy import Policy, PolicyError, load_policy
from bot.scheduler import run_with_lock
from bot.services import Services
from bot.settings import Settings, SettingsError, configure_logging, load_settings
from storage import outbox as outbox_rows
from storage import steps as step_rows
from storage.db import one_line
from wiring import build_services, case_worker_services, policy_text

log = logging.getLogger("savedesk")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
EXIT_ROWS_SKIPPED = 3  # `import` kept the good rows but skipped some (README: Troubleshooting)
EXIT_INTERRUPTED = 130  # Ctrl-C during a one-shot command (the shell's 128 + SIGINT)
TOKEN_ERRORS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked")


WORKERS_START_SECONDS = 60


class StartupError(RuntimeError):
    """Start-up cannot go on; the message is the one line the operator sees."""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="Savedesk: churn cases in Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("web", help="web server only")
    sub.add_parser("worker", help="scheduler only (one per deployment holds the lock)")
    sub.add_parser("tick", help="run all scheduled work that is due now, once")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("check", help="validate settings and the policy file")
    imp = sub.add_parser("import", help="import accounts or invoices from CSV")
    imp.add_argument("what", choices=["accounts", "invoices"])
    imp.add_argument("file", type=Path)
    rep = sub.add_parser("report", help="print the revenue-at-risk report")
    rep.add_argument("period", nargs="?", default="week", choices=["week", "month", "quarter"])
    rep.add_argument("--csv", type=Path, help="write the case-level rows behind it to FILE")
    demo = sub.add_parser("demo", help="a local workspace in the browser; no Slack token needed")
    demo.add_argument("--port", type=int, default=3000, help="the page's port (default 3000)")
    demo.add_argument("--no-browser", action="store_true", help="print the URL, open nothing")
    demo.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    return parser.parse_args(argv)


def load_config() -> tuple[Settings, Policy]:
    load_dotenv(Path.cwd() / ".env", override=False)
    settings = load_settings(os.environ)
    configure_logging(settings.log_level)
    return settings, load_policy(settings.policy_file)


def open_services(settings: Settings, policy: Policy) -> Services:
    """Build services and bring the schema to head (a fresh database gets its tables)."""
    services = build_services(settings, policy)
    try:
        services.db.migrate()
    except SQLAlchemyError as err:
        raise StartupError(f"DATABASE_URL: cannot use the database ({one_line(err)})") from None
    return services


def cmd_migrate(settings: Settings, policy: Policy) -> int:
    services = open_services(settings, policy)
    print(f"database schema is at revision {services.db.revision()} (up to date)")
    return EXIT_OK


def cmd_check(settings: Settings, policy: Policy) -> int:
    print(settings.describe())
    print()
    print(policy.describe())
    problems = 0
    for warning in policy.warnings():
        print(f"warning: {warning}")
    services = build_services(settings, policy)
    problem = services.db.problem()
    if problem is not None:
        raise StartupError(f"DATABASE_URL: the database does not answer ({problem})")
    if services.db.is_current():
        print(f"database: schema up to date (revision {services.db.revision()})")
        with services.db.session() as session:
            for row in outbox_rows.failed(session, limit=10):
                problems += 1
                print(
                    f"problem: message {row.id} ({row.method} to {row.channel}) failed: "
                    f"{row.last_error}"
                )
            for step in step_rows.failed(session, limit=10):
                problems += 1
                print(f"problem: follow-up {step.key} failed: {step.payload.get('error', '?')}")
        for line in services.team.inactive_role_holders():
            problems += 1
            print(f"problem: {line}")
    else:
        print("database: schema needs `python app.py migrate`")
    return EXIT_FAILED if problems else EXIT_OK


def cmd_tick(settings: Settings, policy: Policy) -> int:
    services = open_services(settings, policy)
    report = services.tick()
    print(f"tick: {report.summary()}")
    return EXIT_OK


def cmd_import(settings: Settings, policy: Policy, what: str, path: Path) -> int:
    services = open_services(settings, policy)
    importer: AccountImporter | InvoiceImporter = AccountImporter(
        services.db, services.directory, services.clock
    )
    if what == "invoices":
        importer = InvoiceImporter(services.db, services.clock, policy.dunning.steps)
    try:
        report = importer.run(path, progress=lambda n: print(f"… {n:,} rows", file=sys.stderr))
    except ImportFileError as err:
        print(f"savedesk: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except SQLAlchemyError as err:
        print(f"savedesk: the database refused the import ({one_line(err)})", file=sys.stderr)
        return EXIT_FAILED
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(problem)
    print(report.summary(str(path)))
    return EXIT_ROWS_SKIPPED if report.skipped else EXIT_OK


def serve(settings: Settings, policy: Policy, *, web: bool, worker: bool) -> int:
    from handlers.slack_app import build_bolt_app
    from handlers.web import create_web_app

    listener = bind_port(settings.port) if web else None  # a busy port stops here, first
    services = open_services(settings, policy)
    stop = threading.Event()
    server = None
    if listener is not None:
        from waitress.server import create_server

        slack_identity = check_slack(services)  # a rejected token stops here, before workers
        start_case_workers(services, settings)
        bolt_app = build_bolt_app(services, slack_identity)
        server = create_server(
            create_web_app(services, bolt_app), sockets=[listener], threads=settings.web_threads
        )
        if settings.socket_mode:
            start_socket_mode(bolt_app, settings)

    def on_term(*_: object) -> None:
        if stop.is_set():
            return  # already stopping: a second signal must not interrupt the drain
        stop.set()
        if web:
            raise SystemExit(EXIT_OK)  # unwinds waitress's loop; the worker thread sees `stop`

    signal.signal(signal.SIGTERM, on_term)
    if worker:
        threading.Thread(target=run_with_lock, args=(services, stop), daemon=True).start()
    if server is None:
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        return EXIT_OK
    log.info("Savedesk listening on port %s", settings.port)
    try:
        server.run()
    finally:
        stop.set()
        drain(services)
    return EXIT_OK


def drain(services: Services) -> None:
    """Finish the case work of commands already acknowledged. Another SIGTERM or Ctrl-C
    meanwhile only says so: interrupting the wait would leave the queue unfinished and the
    case-work processes waiting forever."""

    def still_draining(*_: object) -> None:
        log.warning("still finishing acknowledged work (%s queued)", services.after_ack.pending)

    signal.signal(signal.SIGTERM, still_draining)
    signal.signal(signal.SIGINT, still_draining)
    services.after_ack.shutdown()


def start_case_workers(services: Services, settings: Settings) -> None:
    """Case work after acknowledgements runs in `CASE_WORK_PROCESSES` processes of its own
    (bot.case_work), started now so the first burst does not wait for them; 0 keeps it on
    threads of the web process."""
    if settings.case_work_processes == 0:
        return
    build = partial(case_worker_services, settings, policy_text(settings))
    workers = CaseWorkers(settings.case_work_processes, build)
    try:
        workers.warm(timeout=WORKERS_START_SECONDS)
    except TimeoutError:
        workers.shutdown()
        raise StartupError(
            f"CASE_WORK_PROCESSES: {settings.case_work_processes} processes did not start "
            f"within {WORKERS_START_SECONDS} s; set fewer (about one per core)"
        ) from None
    services.after_ack.use_processes(workers)
    services.after_ack.finished.append(services.db.outbox_committed_elsewhere)


def bind_port(port: int) -> socket.socket:
    """A listening socket on `port` (all interfaces), before anything says "listening".

    Raises StartupError naming PORT when the port is in use or needs privileges.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does
    try:
        sock.bind(("0.0.0.0", port))
        sock.listen(1024)
        return sock
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            why = "is already in use (is Savedesk already running?); stop that process or "
            raise StartupError(f"PORT: {port} {why}set PORT to a free port") from None
        if err.errno == errno.EACCES:
            raise StartupError(f"PORT: {port} needs privileges; use a port above 1023") from None
        raise StartupError(f"PORT: cannot listen on {port} ({err.strerror or err})") from None


def start_socket_mode(bolt_app: object, settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt_app, settings.slack_app_token)  # type: ignore[arg-type]
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
    try:
        return services.api.auth_test()
    except SlackApiError as err:
        error = err.response.get("error")
        if error in TOKEN_ERRORS:
            raise StartupError(f"SLACK_BOT_TOKEN: Slack rejected it ({error})") from None
        log.warning("Slack answered auth.test with %s; messages will wait in the outbox", error)
        return None
    except OSError as err:
        log.warning("Slack is not reachable right now (%s); messages will wait in the outbox", err)
        return None


def cmd_demo(args: argparse.Namespace) -> int:
    """The stand-in, Savedesk and the page in this process, until Ctrl-C."""
    from demo.runtime import run_demo

    configure_logging("ERROR")  # the page shows what happens; the terminal shows failures
    return run_demo(args.port, not args.no_browser, args.database_url, cmd_import)


def run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return cmd_demo(args)
    settings, policy = load_config()
    command = args.command
    if command == "migrate":
        return cmd_migrate(settings, policy)
    if command == "check":
        return cmd_check(settings, policy)
    if command == "tick":
        return cmd_tick(settings, policy)
    if command == "import":
        return cmd_import(settings, policy, args.what, args.file)
    if command == "report":
        from bot.reports.cli import cmd_report

        return cmd_report(open_services(settings, policy), args.period, args.csv)
    return serve(settings, policy, web=command in (None, "web"), worker=command in (None, "worker"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every way it can fail ends in one line on stderr, never a traceback."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except (SettingsError, PolicyError, StartupError) as err:
        return say(str(err), EXIT_CONFIG)
    except KeyboardInterrupt:
        if args.command in (None, "web", "worker", "demo"):
            return EXIT_OK  # Ctrl-C is how a foreground server is stopped
        kept = " (rows saved so far are kept; importing again is safe)"
        return say(f"interrupted{kept if args.command == 'import' else ''}", EXIT_INTERRUPTED)
    except SQLAlchemyError as err:
        return say(f"DATABASE_URL: the database failed ({one_line(err)})", EXIT_CONFIG)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # `check | head`
        return EXIT_FAILED
    except Exception as err:  # the last net: one line, the traceback only at LOG_LEVEL=DEBUG
        log.debug("unexpected error", exc_info=True)
        return say(f"unexpected error: {type(err).__name__}: {err} (LOG_LEVEL=DEBUG shows where)")


def say(problem: str, code: int = EXIT_FAILED) -> int:
    print(f"savedesk: {problem}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
