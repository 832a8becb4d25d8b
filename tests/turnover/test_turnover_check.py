"""`python app.py check` reads `[[turnover.plans]]`: a malformed entry is named by its key
path with exit code 2, a good one is summarised, and the documented examples parse."""

from __future__ import annotations

from pathlib import Path

from bot.policy import parse_policy
from tests.setup.test_cli import GOOD, ROOT, assert_one_line_config_error, run_app


def _check(tmp_path: Path, policy: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    db = f"sqlite:///{tmp_path}/x.db"
    return run_app(tmp_path, "check", **GOOD, DATABASE_URL=db, POLICY_FILE=str(path))


def test_a_malformed_plan_entry_is_named_by_key_path(tmp_path: Path) -> None:
    bad = (
        '[[turnover.plans]]\nsteps = ["a"]\n\n[[turnover.plans]]\nmin_arr = "big"\nsteps = ["b"]\n'
    )
    result = _check(tmp_path, bad)
    assert_one_line_config_error(result, "turnover.plans[1].min_arr: expected a number")
    result = _check(tmp_path, '[[turnover.plans]]\nsteps = [{ text = "x", assignee = "boss" }]\n')
    assert_one_line_config_error(result, "turnover.plans[0].steps[0].assignee:")


def test_a_good_plan_entry_is_summarised(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    assert run_app(tmp_path, "migrate", **GOOD, DATABASE_URL=db).returncode == 0
    plans = '[[turnover.plans]]\nsegment = "enterprise"\nsteps = ["Call"]\n'
    result = _check(tmp_path, '[channels]\ncases = "C0CASES"\n\n' + plans)
    assert "problem: " not in result.stdout.replace("problem: Slack: could not reach", "")
    assert "1. segment enterprise: +1 step" in result.stdout


def test_the_commented_example_in_policy_example_toml_parses() -> None:
    text = (ROOT / "policy.example.toml").read_text()
    example = text[text.index("# [[turnover.plans]]") :]
    lines = [line.removeprefix("#").removeprefix(" ") for line in example.splitlines()]
    policy = parse_policy("\n".join(lines)).turnover
    assert [len(rule.steps) for rule in policy.plans] == [2, 1]
    assert policy.plans[0].steps[1].key == "policy_qbr_30d"
