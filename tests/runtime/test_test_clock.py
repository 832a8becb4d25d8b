"""The test clock (docs/configuration.md, *The test clock*): SAVEDESK_TEST_CLOCK_FILE moves "now"
in every process by the seconds written in a file, read again when it changes; `check` warns."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.common.clock import FakeClock, OffsetClock, read_offset
from bot.runtime.services import Services, settings_clock
from bot.runtime.settings import load_settings
from bot.setup.checkup import test_clock_warning
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from storage.models import Case, Job
from tests.conftest import TEST_POLICY, eventually, seed_account
from tests.e2e.test_durability import Proc
from tests.e2e.test_process import free_port
from tests.setup.test_cli import GOOD, run_app

DAY = 86400
SECRET = "test-clock-signing-secret"


def write(path: Path, text: str) -> None:
    path.write_text(text)
    os.utime(path, ns=(time.time_ns(), time.time_ns()))  # a new mtime even within one tick


def test_now_is_the_base_plus_the_seconds_in_the_file_read_again_when_it_changes(
    tmp_path: Path,
) -> None:
    base = FakeClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    path = tmp_path / "clock"
    write(path, "3600\n")
    clock = OffsetClock(base, file=path)
    assert clock.now() == datetime(2026, 3, 1, 13, tzinfo=UTC)
    write(path, str(90 * DAY))
    assert clock.now() == datetime(2026, 5, 30, 12, tzinfo=UTC)
    write(path, "not a number")  # the last good offset stays
    assert clock.now() == datetime(2026, 5, 30, 12, tzinfo=UTC)
    path.unlink()
    assert clock.now() == datetime(2026, 5, 30, 12, tzinfo=UTC)
    write(path, "-60.5")
    assert clock.now() == datetime(2026, 3, 1, 11, 58, 59, 500000, tzinfo=UTC)


def test_a_missing_file_at_start_means_no_offset_and_advance_writes_the_file(
    tmp_path: Path,
) -> None:
    base = FakeClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    path = tmp_path / "clock"
    clock = OffsetClock(base, file=path)
    assert clock.now() == base.now()
    clock.advance(timedelta(days=1))
    assert read_offset(path) == timedelta(days=1)
    other = OffsetClock(base, file=path)  # another process sharing the file
    assert other.now() == datetime(2026, 3, 2, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))


def test_a_rewrite_in_place_within_one_timestamp_tick_is_still_read(tmp_path: Path) -> None:
    """`echo 8640000 > clock` right after `echo 7776000 > clock`: same inode, same size and,
    on a coarse file system clock, the same mtime. The new number is read all the same."""
    base = FakeClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    path = tmp_path / "clock"
    tick = time.time_ns()
    path.write_text("7776000\n")
    os.utime(path, ns=(tick, tick))
    clock = OffsetClock(base, file=path)
    assert clock.offset == timedelta(days=90)
    with path.open("r+") as f:  # in place, as the shell's > does
        f.write("8640000\n")
    os.utime(path, ns=(tick, tick))
    assert clock.offset == timedelta(days=100)


def test_an_empty_file_keeps_the_offset_and_moving_back_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Between the shell's truncation and its write the file is empty: that is not 0. A
    smaller number moves the clock back, loudly."""
    base = FakeClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    path = tmp_path / "clock"
    write(path, str(90 * DAY))
    clock = OffsetClock(base, file=path)
    write(path, "")
    assert clock.offset == timedelta(days=90)
    assert "the file is empty; keeping offset 90 days" in caplog.text
    write(path, str(10 * DAY))
    assert clock.offset == timedelta(days=10)
    assert "moved the clock back (offset 10 days, 0:00:00, was 90 days" in caplog.text


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("junk", "it cannot be used ('junk' is not a number of seconds): a process starting now "
                 "takes 0, one running keeps the last offset it read"),
        ("-86400", "it holds -86400 seconds = -1.00 days, behind real time"),
        (None, "it cannot be used ([Errno 2] No such file or directory"),
    ],
)  # fmt: skip
def test_check_says_what_a_bad_or_negative_clock_file_means(
    tmp_path: Path, text: str | None, said: str
) -> None:
    path = tmp_path / "clock"
    if text is not None:
        write(path, text)
    warning = test_clock_warning(load_settings({**GOOD, "SAVEDESK_TEST_CLOCK_FILE": str(path)}))
    assert warning is not None and warning.startswith("WARNING: TEST CLOCK ON")
    assert said in warning


@pytest.mark.parametrize("text", ["nan", "inf", "1e20", "12 days", "", " \n"])
def test_an_offset_that_is_not_a_usable_number_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "clock"
    path.write_text(text)
    with pytest.raises(ValueError):
        read_offset(path)


def test_the_clock_is_real_unless_the_setting_names_a_file(tmp_path: Path) -> None:
    plain = load_settings(GOOD)
    assert plain.test_clock_file is None
    assert type(settings_clock(plain)).__name__ == "SystemClock"
    path = tmp_path / "clock"
    write(path, str(DAY))
    moved = settings_clock(load_settings({**GOOD, "SAVEDESK_TEST_CLOCK_FILE": str(path)}))
    ahead = moved.now() - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < ahead < timedelta(days=1, minutes=1)


def test_check_warns_loudly_while_the_test_clock_is_set(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text('[channels]\ncases = "C0CASES"\n')
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    with SlackStandin() as slack:  # Slack not reached would be a problem of its own
        env["SLACK_API_URL"] = slack.api_url
        quiet = run_app(tmp_path, "check", **env)
        assert "TEST CLOCK" not in quiet.stdout + quiet.stderr
        write(tmp_path / "clock", "7776000")
        loud = run_app(tmp_path, "check", **env, SAVEDESK_TEST_CLOCK_FILE=str(tmp_path / "clock"))
    assert loud.returncode == 0, loud.stdout + loud.stderr
    warning = (
        f"WARNING: TEST CLOCK ON: SAVEDESK_TEST_CLOCK_FILE={tmp_path / 'clock'} moves every "
        'process\'s "now" by the seconds in that file (it holds 7776000 seconds = 90.00 days). For '
        "rehearsals and acceptance tests only: unset it in production."
    )
    assert loud.stdout.splitlines().count(warning) == 1 and loud.stderr == ""  # once
    assert f"TEST CLOCK: now = real time + the seconds in {tmp_path / 'clock'}" in loud.stdout


@pytest.fixture
def moved_deployment(
    tmp_path: Path, standin: SlackStandin, db_url: str, services: Services
) -> Iterator[tuple[SlackSender, Path]]:
    """`python app.py web` and `python app.py worker`, both on the test clock file."""
    clock_file = tmp_path / "clock"
    write(clock_file, str(10 * DAY))
    (tmp_path / "policy.toml").write_text(TEST_POLICY)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_BOT_TOKEN": "xoxb-clock",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": db_url,
        "POLICY_FILE": str(tmp_path / "policy.toml"),
        "SAVEDESK_TEST_CLOCK_FILE": str(clock_file),
    }
    web_port, health_port = free_port(), free_port()
    web = Proc("web", {**env, "PORT": str(web_port)}, web_port, tmp_path)
    worker = Proc("worker", {**env, "HEALTH_PORT": str(health_port)}, health_port, tmp_path)
    try:
        web.start()
        worker.start()
        sender = SlackSender(
            f"http://127.0.0.1:{web_port}", SECRET, response_url_factory=standin.new_response_url
        )
        yield sender, clock_file
    finally:
        web.stop()
        worker.stop()


def test_web_and_worker_processes_both_read_now_from_the_file_as_it_changes(
    moved_deployment: tuple[SlackSender, Path], services: Services
) -> None:
    """The web process stamps the job it acknowledges, the worker claims it (only once due
    on its own clock) and opens the case: both times are real time plus the file's offset,
    before and after the file is rewritten."""
    sender, clock_file = moved_deployment
    ids = {
        "acme-1": seed_account(services, "acme-1", "Acme One"),
        "acme-2": seed_account(services, "acme-2", "Acme Two"),
    }

    def opened(external_id: str, days: int) -> None:
        real = datetime.now(UTC)
        assert (
            "Opening a case" in sender.slash_command(f"cancel {external_id} budget").json()["text"]
        )

        def case() -> Case | None:
            with services.db.read() as session:
                query = select(Case).where(Case.account_id == ids[external_id])
                return session.scalars(query).one_or_none()

        # the worker's job process (JOB_PROCESSES, at a lower CPU priority) may still be
        # starting on a loaded machine: it took 20 s there with two test workers running
        found = eventually(case, timeout=90)
        with services.db.read() as session:
            job = session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job is not None
        for stamp in (found.created_at, job.created_at):
            ahead = stamp.replace(tzinfo=UTC) - real
            assert timedelta(days=days) - timedelta(minutes=1) < ahead, (stamp, real)
            assert ahead < timedelta(days=days) + timedelta(minutes=1), (stamp, real)

    opened("acme-1", 10)
    write(clock_file, str(40 * DAY))  # a month passes for every process at once
    opened("acme-2", 40)
