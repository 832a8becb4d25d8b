"""The documentation stays true: the policy reference covers every field of the policy model
and every key of `policy.example.toml`, the committed page is what the generator writes,
the README stays short and its links resolve, and the site builds with `--strict`."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.policy import parse_policy
from bot.policy.models import Policy
from docs.gen_policy import CONTAINERS, SUBKEYS, TYPES, covered, policy_reference

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def model_fields(cls: type = Policy) -> set[tuple[type, str]]:
    """Every (dataclass, field) reachable from `Policy`: a field of a type the generator
    writes as a TOML value is a key; any other must be a table it knows (`CONTAINERS`,
    `SUBKEYS`), whose fields are reached in turn."""
    found: set[tuple[type, str]] = set()
    for spec in dataclasses.fields(cls):
        found.add((cls, spec.name))
        inner = CONTAINERS.get((cls, spec.name)) or SUBKEYS.get((cls, spec.name))
        if inner is not None:
            found |= model_fields(inner)
    return found


def sections(page: str) -> dict[str, str]:
    """The reference's `## heading` → its text."""
    parts = re.split(r"^## (.+)$", page, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def example_keys(table: dict[str, Any], path: str = "") -> list[tuple[str, str]]:
    """(table path, key) for every leaf key of policy.example.toml."""
    found: list[tuple[str, str]] = []
    for key, value in table.items():
        sub = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            found += example_keys(value, sub)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:
                found += example_keys(entry, sub)
        else:
            found.append((path, key))
    return found


def test_every_policy_model_field_is_in_the_reference() -> None:
    missing = {f"{cls.__name__}.{name}" for cls, name in model_fields() - covered()}
    assert not missing, f"add these to docs/gen_policy.py SECTIONS: {sorted(missing)}"


def test_every_policy_model_field_has_a_toml_type_or_is_a_table() -> None:
    for cls, name in model_fields():
        if (cls, name) in CONTAINERS or (cls, name) == (Policy, "source"):
            continue
        assert str(cls.__annotations__[name]) in TYPES, f"{cls.__name__}.{name}"


def test_every_key_of_the_example_policy_is_in_the_reference() -> None:
    page = sections(policy_reference())
    for table, key in example_keys(tomllib.loads((ROOT / "policy.example.toml").read_text())):
        heading = next((h for h in page if h.strip("[]") == table), "Top level")
        assert f"| `{key}` |" in page[heading], f"{table or 'top level'}.{key} not documented"


def test_the_committed_policy_page_is_what_the_model_generates() -> None:
    committed = (DOCS / "policy.md").read_text(encoding="utf-8")
    assert committed == policy_reference(), "run `python -m docs.gen_policy` and commit"


def test_an_undocumented_field_stops_the_reference() -> None:
    from docs import gen_policy

    @dataclasses.dataclass(frozen=True)
    class Undocumented:
        quiet: str = ""

    with pytest.raises(LookupError, match=r"Undocumented\.quiet has no docstring"):
        gen_policy.describe_field(Undocumented, "quiet")


def test_the_turnover_page_example_is_a_valid_policy() -> None:
    text = (DOCS / "turnover.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    policy = parse_policy(example)
    assert len(policy.turnover.plans) == 2


def test_the_readme_is_short_and_its_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) < 12_000, "the reference belongs in docs/"
    assert "cp policy.example.toml policy.toml" in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "#")):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).is_file(), target
        if anchor:
            page = (ROOT / path).read_text(encoding="utf-8")
            assert anchor in {slug(h) for h in re.findall(r"^#+ (.+)$", page, re.M)}, target


def test_the_readme_setup_says_how_the_tables_are_created() -> None:
    """Step 7's `check` fails on a database without tables: the steps before it say how
    they are made, not only the deployment checklist."""
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set up your workspace", 1)[1].split("## For the Slack admin", 1)[0]
    assert "app.py migrate" in setup


def slug(heading: str) -> str:
    """Python-Markdown's toc anchor for a heading."""
    return re.sub(r"[\s-]+", "-", re.sub(r"[^\w\s-]", "", heading).strip().lower())


def test_the_site_builds_strict(tmp_path: Path) -> None:
    """Broken links or anchors, a page outside the nav, a failing hook: each fails."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "acknowledge_within" in (tmp_path / "policy" / "index.html").read_text()


class _Recording(dict):
    """An empty environment that remembers every variable asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def test_every_setting_is_in_the_env_example_and_the_configuration_page() -> None:
    """Each variable `load_settings` reads appears in `.env.example` (commented or set)
    and in docs/configuration.md, so no setting is known only to the code."""
    from bot.runtime.settings import load_settings

    env = _Recording()
    load_settings(env, require=False)
    assert {"SLACK_BOT_TOKEN", "JOB_PROCESSES", "SAVEDESK_TEST_CLOCK_FILE"} <= env.asked
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    in_example = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert sorted(env.asked - in_example) == []
    assert sorted(n for n in env.asked if f"`{n}`" not in page) == []


def test_a_newcomer_finds_the_checklist_the_demo_and_the_test_time() -> None:
    """The deployment checklist is in the reference too (each README item, by its bold
    name), the demo is under Getting started, and the README says how long tests take and
    how to try Savedesk without a real Slack."""
    readme = README.read_text(encoding="utf-8")
    operations = (DOCS / "operations.md").read_text(encoding="utf-8")
    checklist = readme.split("## Deployment checklist", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^- \[ \] \*\*(.+?)\*\*", checklist, re.MULTILINE)
    assert len(items) >= 8
    assert [i for i in items if f"- [ ] **{i}**" not in operations] == []
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    assert nav.index("Getting started") < nav.index("demo.md") < nav.index("The product")
    assert "several minutes" in readme and '-k "not browser' in readme
    assert "python -m demo.standin" in readme
