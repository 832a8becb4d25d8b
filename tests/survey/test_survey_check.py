"""`python app.py check` and the survey's part of the policy: the taxonomy with its owners,
and every malformed `[[survey.reasons]]` entry named by key path, exit code 2."""

from __future__ import annotations

from pathlib import Path

from tests.setup.test_cli import GOOD, ROOT, run_app

BAD = """
[[survey.reasons]]
key = "missing_functionality"
label = "Missing functionality"
owner = "C0PRODUCT"
[[survey.reasons]]
key = "missing_functionality"
label = "Feature gap"
owner = "product team"
[[survey.reasons]]
key = "competitor"
label = "Went to a competitor"
owner = "C0SALES"
[[survey.reasons]]
label = "No key"
"""


def test_check_names_each_malformed_reason_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(BAD)
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    for problem in (
        'survey.reasons[1].owner: "product team" is not a channel, a person or a group',
        'survey.reasons[2].key: "competitor" is not a root cause',
        'survey.reasons[2].label: "Went to a competitor" is not a root cause',
        "survey.reasons[3].key: missing",
        "survey.reasons[3].owner: missing",
        'survey.reasons[1].key: "missing_functionality" is used twice (also survey.reasons[0])',
    ):
        assert problem in lines[0]


def test_check_shows_the_taxonomy_with_owners(tmp_path: Path) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = run_app(tmp_path, "check", **env, POLICY_FILE=str(ROOT / "policy.example.toml"))
    assert "Reason digest: 1st 09:00 -> each root cause owner" in result.stdout
    assert "  missing_functionality: Missing functionality -> C0PRODUCT  (" in result.stdout
    assert "  price_value: Price too high for the value they got -> U0PRICING" in result.stdout
