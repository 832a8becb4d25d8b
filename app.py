"""Savedesk's entry point: `python app.py [web|worker|jobs|tick|import|migrate|check|demo|init]`.

Settings and policy are read here, once, and passed down. A bad setting or policy stops
start-up with one line naming it and exit code 2, never a traceback. Only the standard
library loads with this module: `--help` answers at once; a command imports what it needs.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.policy import Policy
    from bot.runtime.settings import Settings

from serving import (
    EXIT_OK,
    PortInUse,
    StartupError,
    bind_port,
    open_services,
    run_worker,
    serve,
)

log = logging.getLogger("savedesk")

EXIT_FAILED, EXIT_CONFIG = 1, 2
EXIT_ROWS_SKIPPED = 3  # `import` kept the good rows but skipped some (docs/cli.md, *Exit codes*)
EXIT_INTERRUPTED = 130  # Ctrl-C during a one-shot command (the shell's 128 + SIGINT)
TOKEN_ERRORS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked")


def port_number(text: str) -> int:
    """A TCP port for `demo --port`: 0-65535, where 0 asks the system for a free one (the
    tests use it). Raises argparse.ArgumentTypeError otherwise: the socket layer would take
    70000 as 70000 % 65536 and name HOST for -1 (docs/cli.md, *Commands*)."""
    value = text.strip()
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(value)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="Savedesk: churn cases in Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("web", help="web server only")
    sub.add_parser("worker", help="scheduler, delivery (one worker holds the lock) and jobs")
    sub.add_parser("jobs", help="claim jobs only (more job processes beside a worker)")
    sub.add_parser("tick", help="run all scheduled work that is due now, once")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser(
        "check",
        help="validate settings and the policy file",
        description=(
            "Validate the settings (environment and .env) and the policy file, ask Slack "
            "about the token and the [channels], look at the database; print what was "
            "understood, then each warning and problem. Exit 0 when there is no problem "
            "(warnings allowed), 1 on a problem, 2 on a malformed setting or policy. "
            "Slack or the database not answering is a problem: check verifies nothing "
            "without them."
        ),
    )
    imp = sub.add_parser("import", help="import accounts or invoices from CSV, or HubSpot")
    imp.add_argument("what", choices=["accounts", "invoices", "hubspot"])
    imp.add_argument("file", type=Path, nargs="?")
    rep = sub.add_parser("report", help="print the revenue-at-risk report")
    rep.add_argument("period", nargs="?", default="week", choices=["week", "month", "quarter"])
    rep.add_argument("--csv", type=Path, help="write the case-level rows behind it to FILE")
    demo = sub.add_parser("demo", help="a local workspace in the browser; no Slack token needed")
    demo.add_argument(
        "--port",
        type=port_number,
        default=3000,
        help="the page's port (default 3000; 0: any free one)",
    )
    demo.add_argument("--no-browser", action="store_true", help="print the URL, open nothing")
    demo.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    init = sub.add_parser("init", help="first-run wizard: writes policy.toml and .env, then check")
    init.add_argument("--manifest", metavar="https://HOST", help="also write slack-manifest.yml")
    return parser.parse_args(argv)


def load_config(*, require: bool = True) -> tuple[Settings, Policy]:
    """Settings (`.env` read, the real environment wins) and the policy they name.
    `require=False`: the required secrets may be absent (`check` lists them)."""
    from dotenv import load_dotenv

    from bot.policy import load_policy
    from bot.runtime.settings import configure_logging, example_values, load_settings

    load_dotenv(Path.cwd() / ".env", override=False)
    env = dict(os.environ)
    if not require:  # an example value is one of check's problems, like a missing one
        env = {k: v for k, v in env.items() if k not in example_values(env)}
    settings = load_settings(env, require=require)
    configure_logging(settings.log_level)
    return settings, load_policy(settings.policy_file)


def cmd_migrate(settings: Settings, policy: Policy) -> int:
    """Bring the schema to head and say what that did: created, upgraded, or nothing."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import Database

    db = Database(settings.database_url)
    try:
        before = db.revision()
    except SQLAlchemyError:
        before = ""  # open_services says why the database cannot be used
    finally:
        db.dispose()
    after = open_services(settings, policy).db.revision()
    if before is None:
        print(f"database schema created (revision {after})")
    elif before and before != after:
        print(f"database schema upgraded from revision {before} to {after}")
    else:
        print(f"database schema is at revision {after} (up to date)")
    return EXIT_OK


def cmd_check(settings: Settings, policy: Policy) -> int:
    """Print what was understood, then every warning and every problem (bot.setup.checkup); exit 1
    when there is a problem (a database or a Slack that does not answer is one). A malformed
    setting or policy stops earlier with one line (exit 2). Log records below ERROR are
    kept out of the report: what they would say is one of check's own lines."""
    from bot.setup.checkup import (
        DatabaseSilent,
        DatabaseState,
        config_problems,
        database_state,
        test_clock_warning,
    )
    from storage.db import Database

    check_logging(settings.log_level)
    print(settings.describe())
    print()
    print(policy.describe())
    warnings = policy.warnings()
    clock_warning = test_clock_warning(settings)
    problems = config_problems(settings, policy, os.environ)
    db = Database(settings.database_url)
    try:
        state = database_state(
            db, policy, (settings.oauth_mode and settings.slack_client_id) or None
        )
    except DatabaseSilent as err:
        state = DatabaseState(
            problems=[
                f"DATABASE_URL: the database does not answer ({err}); start it, or fix "
                "DATABASE_URL (host, port, name, user)"
            ]
        )
    finally:
        db.dispose()
    if state.status:
        print(state.status)
    for note in state.notes:
        print(note)
    if settings.slack_bot_token or (settings.oauth_mode and state.status):  # else a problem
        problems += slack_problems(settings, policy, bool(state.status), warnings)
    for warning in warnings:
        print(f"warning: {warning}")
    if clock_warning:
        print(clock_warning)
    for problem in problems + state.problems:
        print(f"problem: {problem}")
    if problems or state.problems:
        count = len(problems) + len(state.problems)
        print(f"check: {count} problem(s) to fix before Savedesk can do its job")
        return EXIT_FAILED
    print("check: OK")
    return EXIT_OK


def check_logging(level: str) -> None:
    """`check` reports in its own lines: library and product log records below ERROR
    (a group Slack cannot resolve, the test clock at start-up) are not printed, errors
    still are; LOG_LEVEL=DEBUG shows everything (docs/cli.md, *Commands*)."""
    if level == "DEBUG":
        return
    for handler in logging.getLogger().handlers:
        handler.setLevel(max(handler.level, logging.ERROR))


def slack_problems(
    settings: Settings, policy: Policy, schema_current: bool, warnings: list[str]
) -> list[str]:
    """SLACK_BOT_TOKEN (OAuth mode: the installed app's) asked about once (slack_edge.probe):
    refused or not reached is a problem, an unrelated error from Slack a warning (added to
    `warnings`); when it works, the policy's `[channels]` (unknown to Slack, or without the
    app) and, once the schema is current, the people the policy names."""
    from slack_edge.probe import installed_token, verify_bot_token
    from storage.db import Database

    named = {f"channels.{k}": v for k, v in vars(policy.channels).items() if v}
    installed = None
    if not settings.slack_bot_token:
        db = Database(settings.database_url)
        try:
            installed, verdict = installed_token(settings, db)
        finally:
            db.dispose()
        if installed is None:  # not installed (said already), or its refresh refused
            warnings += [verdict.warning] if verdict.warning else []
            return [verdict.problem] if verdict.problem else []
    verdict = verify_bot_token(settings, named, installed)
    warnings += [verdict.warning] if verdict.warning else []
    if verdict.problem:
        return [verdict.problem]
    if verdict.warning or not schema_current:
        return verdict.channel_problems
    return verdict.channel_problems + people_problems(settings, policy, warnings)


def people_problems(settings: Settings, policy: Policy, warnings: list[str]) -> list[str]:
    """Policy roles held by people Slack says are deactivated, bots or outsiders (asks Slack
    and remembers what it said, so only once the schema is current); a reference Slack
    cannot resolve (an @group that does not exist, an unknown email) is added to
    `warnings`."""
    from bot.setup.checkup import unresolved_people
    from wiring import build_services

    services = build_services(settings, policy)
    try:
        warnings += unresolved_people(policy, services.team.directory)
        return services.team.inactive_role_holders()
    finally:
        services.db.dispose()


def cmd_tick(settings: Settings, policy: Policy) -> int:
    services = open_services(settings, policy)
    report = services.tick()
    print(f"tick: {report.summary()}")
    return EXIT_OK


def cmd_import(settings: Settings, policy: Policy, what: str, path: Path) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.imports.accounts import AccountImporter
    from bot.imports.csvfile import ImportFileError
    from bot.imports.invoices import InvoiceImporter
    from storage.db import one_line

    services = open_services(settings, policy)
    importer: AccountImporter | InvoiceImporter = AccountImporter(
        services.db, services.directory, services.clock, policy.currency
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


def cmd_import_hubspot(settings: Settings, policy: Policy) -> int:
    """Companies → accounts once (docs/hubspot.md)."""
    if not settings.hubspot_access_token:
        raise StartupError("import hubspot: set HUBSPOT_ACCESS_TOKEN (a private app's token)")
    services = open_services(settings, policy)
    try:
        report = services.import_hubspot()
    except Exception as err:  # the client's errors: no answer, 401, 429…
        print(f"savedesk: HubSpot could not be read ({str(err).splitlines()[0][:200]})",
              file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    assert report is not None
    for problem in report.problems:
        print(problem)
    print(report.summary("HubSpot"))
    return EXIT_ROWS_SKIPPED if report.skipped else EXIT_OK


def demo_listener(port: int) -> socket.socket:
    """The demo page's socket, bound before anything else starts, so a busy port is
    answered at once with a free one to pass as `--port`."""
    from demo.listen import DEMO_HOST, free_port_after

    try:
        return bind_port(port, DEMO_HOST)
    except PortInUse:
        raise StartupError(
            f"demo: port {port} is already in use (is a demo already running?); stop it, "
            f"or run `python app.py demo --port {free_port_after(port)}`"
        ) from None


def cmd_demo(args: argparse.Namespace) -> int:
    """The stand-in, Savedesk and the page in this process, until Ctrl-C."""
    page = demo_listener(args.port)  # a busy port answers here, before seconds of start-up
    from bot.runtime.settings import configure_logging
    from demo.runtime import run_demo

    configure_logging("ERROR")  # the page shows what happens; the terminal shows failures
    return run_demo(page, not args.no_browser, args.database_url, cmd_import)


def cmd_init(args: argparse.Namespace) -> int:
    """The wizard (bot.setup.wizard), the schema if the person agrees, then `check`."""
    from bot.setup.answers import BadAnswer, manifest_origin, yes_no
    from bot.setup.wizard import NoMoreAnswers, Templates, Terminal
    from bot.setup.wizard import run as interview

    term = Terminal()
    try:
        origin = manifest_origin(args.manifest) if args.manifest else None
        interview(term, Path.cwd(), Templates.beside(Path(__file__).resolve().parent), origin)
        settings, policy = load_config(require=False)
        from storage.db import Database

        db = Database(settings.database_url)
        try:
            if not db.is_current() and term.ask(
                "\nCreate the database tables now (`python app.py migrate`)? [Y/n]", yes_no(True)
            ):
                db.migrate()
        finally:
            db.dispose()
    except (BadAnswer, NoMoreAnswers) as err:
        raise StartupError(str(err)) from None
    term.say("\n$ python app.py check")
    return cmd_check(settings, policy)


def run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return cmd_demo(args)
    if args.command == "init":
        return cmd_init(args)
    if args.command == "check":
        return cmd_check(*load_config(require=False))
    settings, policy = load_config()
    command = args.command
    if command == "migrate":
        return cmd_migrate(settings, policy)
    if command == "tick":
        return cmd_tick(settings, policy)
    if command == "import":
        if args.what == "hubspot":
            return cmd_import_hubspot(settings, policy)
        if args.file is None:
            raise StartupError(f"import {args.what}: name the CSV file to import")
        return cmd_import(settings, policy, args.what, args.file)
    if command == "report":
        from bot.reports.cli import cmd_report

        return cmd_report(open_services(settings, policy), args.period, args.csv)
    if command == "jobs":
        return run_worker(settings, policy, schedule=False)
    return serve(settings, policy, web=command in (None, "web"), worker=command in (None, "worker"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every way it can fail ends in one line on stderr, never a traceback."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        if args.command in (None, "web", "worker", "jobs", "demo"):
            return EXIT_OK  # Ctrl-C is how a foreground server is stopped
        kept = " (rows saved so far are kept; importing again is safe)"
        return say(f"interrupted{kept if args.command == 'import' else ''}", EXIT_INTERRUPTED)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # `check | head`
        return EXIT_FAILED
    except ModuleNotFoundError as err:
        if not missing_requirement(err):
            return failed(err)
        return say(
            f"the requirements are not installed for {sys.executable} (no module named "
            f"{err.name!r}): run `{INSTALL}`, then `.venv/bin/python app.py …`"
        )
    except Exception as err:
        return failed(err)


INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
"""README.md, *Quick start*: what a missing requirement is answered with."""


def missing_requirement(err: ModuleNotFoundError) -> bool:
    """A third-party package is missing (run outside the venv, or before `pip install`),
    not one of Savedesk's own modules: those are a bug, reported as unexpected."""
    top = (err.name or "").split(".")[0]
    return bool(top) and not (Path(__file__).resolve().parent / top).exists()


def failed(err: Exception) -> int:
    """One line naming the setting, policy or database (exit 2), else "unexpected" (exit 1;
    the traceback at LOG_LEVEL=DEBUG). Imported here: a command that succeeds never loads them."""
    if isinstance(err, StartupError):  # e.g. the demo's busy port: answered before any import
        return say(str(err), EXIT_CONFIG)
    from sqlalchemy.exc import SQLAlchemyError

    from bot.policy import PolicyError
    from bot.runtime.settings import SettingsError
    from storage.db import one_line

    if isinstance(err, (SettingsError, PolicyError)):
        return say(str(err), EXIT_CONFIG)
    if isinstance(err, SQLAlchemyError):
        return say(f"DATABASE_URL: the database failed ({one_line(err)})", EXIT_CONFIG)
    log.debug("unexpected error", exc_info=err)
    return say(f"unexpected error: {type(err).__name__}: {err} (LOG_LEVEL=DEBUG shows where)")


def say(problem: str, code: int = EXIT_FAILED) -> int:
    print(f"savedesk: {problem}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
