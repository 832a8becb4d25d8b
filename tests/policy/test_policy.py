"""Policy file loading, validation messages, routing and approval decisions."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.common.durations import format_duration, parse_duration
from bot.policy import (
    KINDS,
    ApprovalRule,
    DunningStep,
    Policy,
    PolicyError,
    RoutingRule,
    load_policy,
    parse_policy,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "policy.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    """The one-line message load_policy gives for a policy file with `text`."""
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", timedelta(0)),
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(hours=48)),
        ("1w", timedelta(days=7)),
        ("90d", timedelta(days=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4x", "-1h", "1.5h", "4", "h", " 4h", "4 h", "4H", "٣h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0s", "30s", "15m", "4h", "2d", "1w", "3w", "90d", "25h", "61m"])
def test_duration_round_trip(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


def test_format_duration_picks_largest_exact_unit() -> None:
    assert format_duration(timedelta(hours=24)) == "1d"
    assert format_duration(timedelta(days=14)) == "2w"
    assert format_duration(timedelta(seconds=90)) == "90s"
    with pytest.raises(ValueError):
        format_duration(timedelta(seconds=-1))


# --- the example file and defaults ----------------------------------------------------------


def test_example_file_loads() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.source == str(EXAMPLE)
    assert policy.timezone.key == "America/New_York"
    assert policy.business_hours == (time(9), time(17))
    assert policy.business_days == frozenset({0, 1, 2, 3, 4})
    assert policy.channels.cases == "C0CASES"
    assert policy.channels.sales == "C0SALES"
    assert policy.roles["save_desk"] == ("U0SAVE1", "U0SAVE2")
    assert policy.role("manager") == ("U0MGR",)
    assert len(policy.routing) == 4
    assert policy.escalation.acknowledge_within == timedelta(hours=4)
    assert policy.escalation.escalate_after == timedelta(days=1)
    assert policy.escalation.repeat_every == timedelta(days=1)
    assert policy.escalation.stale_after == timedelta(days=7)
    assert policy.dunning.pre_renewal_check == timedelta(days=90)
    assert policy.dunning.steps == (
        DunningStep(30, "csm"),
        DunningStep(60, "controller"),
        DunningStep(90, "cfo"),
    )
    assert policy.signals.watch_channels == ("C0SUPPORT",)
    assert policy.signals.bots == ("B0BILLING",)
    assert str(policy.reports.weekly) == "mon 09:00"
    assert policy.move_on_confirm_above_arr == Decimal(50000)
    assert policy.survey_reason("missing_functionality").owner == "C0PRODUCT"
    assert policy.warnings() == []
    assert policy.problems() == []


def test_example_routing() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.route("payment_failed", Decimal(100000), None) == "finance"
    assert policy.route("cancellation", Decimal(50000), None) == "save_desk"
    assert policy.route("non_renewal", Decimal(49999), None) == "account_owner"
    assert policy.route("cancellation", None, None) == "account_owner"
    assert policy.route("downgrade", Decimal(900000), None) == "account_owner"
    assert policy.route("usage_drop", Decimal(900000), "enterprise") == "csm"


def test_example_approvals() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.approver_for(Decimal(10), Decimal(5000), Decimal(80000)) == "none"
    assert policy.approver_for(None, Decimal(1000), None) == "none"
    assert policy.approver_for(Decimal("10.5"), Decimal(100), None) == "managers"
    assert policy.approver_for(Decimal(5), Decimal(5001), None) == "managers"
    assert policy.approver_for(Decimal(5), None, None) == "managers"


def test_example_people_and_describe() -> None:
    policy = load_policy(EXAMPLE)
    assert {"U0MGR", "U0SAVE1", "U0CFO", "U0PRICING", "@cs-leads"} <= policy.people()
    assert "C0PRODUCT" not in policy.people()
    summary = policy.describe()
    assert f"Policy: {EXAMPLE}" in summary
    assert "America/New_York, 09:00-17:00 on mon, tue, wed, thu, fri" in summary
    assert "1. payment_failed -> finance" in summary
    assert "2. cancellation, non_renewal, ARR >= 50000 -> save_desk" in summary
    assert "4. any kind -> csm" in summary
    assert "1. discount <= 10%, value <= 5000 -> none" in summary
    assert "60 days past due -> controller" in summary
    assert "Weekly report: mon 09:00 -> C0LEADERS" in summary
    assert "Reason digest: 1st 09:00 -> each root cause owner" in summary
    assert (
        "  champion_left: Champion left and nobody took over -> @cs-leads  "
        "(Main-contact turnover we did not recover from)"
    ) in summary


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    policy = load_policy(tmp_path / "nope.toml")
    assert policy == Policy.defaults()
    assert policy.source is None
    assert policy.timezone.key == "UTC"
    assert policy.business_hours == (time(9), time(17))
    assert policy.business_days == frozenset(range(5))
    assert policy.channels.cases is None
    assert all(people == () for people in policy.roles.values())
    assert policy.route("payment_failed", None, None) == "finance"
    assert policy.route("non_renewal", Decimal(10**6), None) == "account_owner"
    assert policy.route("competitor", None, None) == "csm"
    assert policy.escalation.stale_after == timedelta(days=7)
    assert policy.approver_for(Decimal(10), Decimal(5000), None) == "none"
    assert [s.days_past_due for s in policy.dunning.steps] == [30, 60, 90]
    assert "switching to" in policy.signals.phrases
    assert str(policy.reports.weekly) == "mon 09:00"
    assert "missing_functionality" in {r.key for r in policy.survey_reasons}
    assert "competitor" not in {r.key for r in policy.survey_reasons}
    assert "no policy file: built-in defaults" in policy.describe()
    assert policy.problems()[0].startswith("channels.cases is not set: case threads cannot")
    assert not any("channels.cases" in w for w in policy.warnings())  # a problem, not a warning
    assert "roles.managers is empty: escalations have nobody to reach" in policy.warnings()


def test_empty_file_takes_defaults_but_records_source(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, ""))
    assert policy.source == str(tmp_path / "policy.toml")
    assert policy.routing == Policy.defaults().routing


def test_calendar_off_and_disabled_features() -> None:
    policy = parse_policy(
        'business_hours = ""\n'
        '[reports]\nweekly = ""\n'
        '[dunning]\npre_renewal_check = ""\n'
        '[offers]\nmove_on_confirm_above_arr = ""\n'
    )
    assert policy.business_hours is None
    assert policy.reports.weekly is None
    assert policy.dunning.pre_renewal_check is None
    assert policy.move_on_confirm_above_arr is None
    assert not policy.move_on_needs_confirmation(Decimal(10**9))
    assert "business calendar off" in policy.describe()


# --- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[escalation]\nacknowledge_within = "4x"\n',
            'escalation.acknowledge_within: "4x" is not a duration (use 30s, 15m, 4h, 2d, 1w)',
        ),
        (
            "[escalation]\nrepeat_every = 4\n",
            "escalation.repeat_every: expected a duration (use 30s, 15m, 4h, 2d, 1w)",
        ),
        ('[escalation]\nrepeat_every = "0s"\n', 'escalation.repeat_every: "0s" must be longer'),
        ('[escalaton]\nrepeat_every = "1d"\n', "escalaton: unknown key (did you mean escalation?)"),
        ('[escalation]\nrepeat = "1d"\n', "escalation.repeat: unknown key"),
        (
            '[[routing]]\nowner = "csm"\n[[routing]]\nowner = "csm"\n[[routing]]\nowner = "ceo"\n',
            'routing[2].owner: "ceo" is not an owner '
            "(use csm, account_owner, save_desk, manager, finance, or a person)",
        ),
        ('[[routing]]\nkinds = ["payment"]\nowner = "csm"\n', 'routing[0].kinds[0]: "payment"'),
        ('[[routing]]\nkinds = ["other"]\n', "routing[0].owner: missing"),
        ('[[routing]]\nowner = "csm"\nmin_arr = "50k"\n', "routing[0].min_arr: expected a number"),
        ('[[routing]]\nowner = "csm"\nmax_arr = -1\n', "routing[0].max_arr: -1 must not be"),
        ('[[routing]]\nowner = "csm"\nsegments = "smb"\n', "routing[0].segments: unknown key"),
        ('[routing]\nowner = "csm"\n', "routing: expected a list of [[routing]] tables"),
        (
            '[roles]\nmanagers = ["bob"]\n',
            'roles.managers[0]: "bob" is not a person '
            "(use a Slack user ID like U0123, an email, or @group)",
        ),
        ('[roles]\nmanagers = "U0MGR"\n', "roles.managers: expected a list of people"),
        ('[roles]\nsales = ["U0S"]\n', "roles.sales: unknown role (use managers, save_desk,"),
        ('timezone = "Mars/Olympus"\n', 'timezone: "Mars/Olympus" is not a time zone'),
        ('business_hours = "9-5"\n', 'business_hours: "9-5" is not a time range'),
        ('business_hours = "17:00-09:00"\n', 'business_hours: "17:00-09:00" must start before'),
        ('business_hours = "09:00-24:00"\n', "business_hours: "),
        ('business_days = "mon-fri"\n', "business_days: expected a list of day names"),
        ('business_days = ["mon", "funday"]\n', 'business_days[1]: "funday" is not a day'),
        ("business_days = []\n", "business_days: is empty"),
        ('[channels]\ncases = "#cases"\n', 'channels.cases: "#cases" is not a channel ID'),
        ('channels = "C0CASES"\n', "channels: expected a table ([channels])"),
        (
            "[[offers.approval]]\nmax_discount_pct = 120\napprover = 'none'\n",
            "offers.approval[0].max_discount_pct: 120 must be at most 100",
        ),
        (
            "[[offers.approval]]\napprover = 'boss'\n",
            'offers.approval[0].approver: "boss" is not an approver (use none, managers,',
        ),
        (
            "[[dunning.steps]]\ndays_past_due = 60\nnotify = 'csm'\n"
            "[[dunning.steps]]\ndays_past_due = 30\nnotify = 'cfo'\n",
            "dunning.steps[1].days_past_due: 30 must be more than the previous step's 60",
        ),
        (
            "[[dunning.steps]]\ndays_past_due = 30\nnotify = 'csm'\n"
            "[[dunning.steps]]\ndays_past_due = 30\nnotify = 'cfo'\n",
            "dunning.steps[1].days_past_due: 30 must be more than",
        ),
        (
            "[[dunning.steps]]\ndays_past_due = 0\nnotify = 'csm'\n",
            "dunning.steps[0].days_past_due: 0 must be at least 1",
        ),
        (
            "[[dunning.steps]]\ndays_past_due = 7.5\nnotify = 'csm'\n",
            "dunning.steps[0].days_past_due: expected a whole number of days",
        ),
        (
            "[[dunning.steps]]\ndays_past_due = 30\nnotify = 'ceo'\n",
            'dunning.steps[0].notify: "ceo" is not someone to notify',
        ),
        ('[signals]\nbots = ["U0BOT"]\n', 'signals.bots[0]: "U0BOT" is not a bot ID'),
        ('[signals]\nphrases = ["cancel", " "]\n', "signals.phrases[1]: is empty"),
        ('[signals]\nwatch_channels = ["support"]\n', "signals.watch_channels[0]: "),
        ('[reports]\nweekly = "monday 9am"\n', 'reports.weekly: "monday 9am" is not a weekly'),
        (
            "[[survey.reasons]]\nkey = 'price'\nlabel = 'Price'\nowner = 'C0P'\n"
            "[[survey.reasons]]\nkey = 'price'\nlabel = 'Cost'\nowner = 'C0P'\n",
            'survey.reasons[1].key: "price" is used twice',
        ),
        (
            "[[survey.reasons]]\nkey = 'Price Value'\nlabel = 'Price'\nowner = 'C0P'\n",
            "survey.reasons[0].key: ",
        ),
        (
            "[[survey.reasons]]\nkey = 'price'\nlabel = 'Price'\nowner = 'pricing'\n",
            "survey.reasons[0].owner: ",
        ),
        (
            "[[survey.reasons]]\nkey = 'price'\nowner = 'C0P'\n"
            "[[survey.reasons]]\nlabel = 'Lost to a competitor'\nowner = 'C0P'\n",
            "survey.reasons[0].label: missing (the words people pick in the survey); "
            "survey.reasons[1].key: missing",
        ),
        ('[reports]\nreason_digest = "monthly"\n', 'reports.reason_digest: "monthly" is not a'),
        ('"odd key" = 1\n', '"odd key": unknown key'),
        ("business_hours = 09:00:00\n", "business_hours: expected a string"),
        ('currency = "euro"\n', 'currency: "euro" is not an ISO 4217 currency code'),
        ('currency = "UDS"\n', 'currency: "UDS" is not an ISO 4217 currency code'),
        ("currency = 978\n", "currency: expected a three-letter ISO 4217 code"),
    ],
)
def test_mistakes_give_one_line_naming_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text).startswith(expected)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'timezone = "UTC"\n\nbusiness_hours = = "x"\n')
    assert message.startswith("line 3: ")
    assert "(at line" not in message


def test_toml_error_at_end_of_file(tmp_path: Path) -> None:
    assert error_for(tmp_path, "phrases = [1,").startswith("at end of file: ")


def test_error_is_a_value_error_and_uses_the_given_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^custom\.toml: timezone: "):
        parse_policy('timezone = "Nowhere/Land"\n', source="custom.toml")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the file"):
        load_policy(tmp_path)
    path = tmp_path / "policy.toml"
    path.write_bytes(b'timezone = "\xff"\n')
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(path)


# --- routing and approval rules -------------------------------------------------------------


def test_routing_rule_conditions() -> None:
    rule = RoutingRule(
        owner="save_desk",
        kinds=("cancellation",),
        min_arr=Decimal(10000),
        max_arr=Decimal(100000),
        segments=("Enterprise", "mid"),
    )
    assert rule.matches("cancellation", Decimal(10000), "enterprise")
    assert rule.matches("cancellation", Decimal(100000), "MID")
    assert not rule.matches("downgrade", Decimal(50000), "mid")
    assert not rule.matches("cancellation", Decimal(9999), "mid")
    assert not rule.matches("cancellation", Decimal(100001), "mid")
    assert not rule.matches("cancellation", None, "mid")
    assert not rule.matches("cancellation", Decimal(50000), "smb")
    assert not rule.matches("cancellation", Decimal(50000), None)
    assert RoutingRule(owner="csm").matches("other", None, None)
    assert RoutingRule(owner="csm", max_arr=Decimal(5)).matches("other", 5, None)


def test_routing_first_match_wins_and_falls_back_to_csm() -> None:
    policy = parse_policy(
        '[[routing]]\nsegment = "enterprise"\nowner = "U0BIGACCT"\n'
        '[[routing]]\nkinds = ["cancellation"]\nmax_arr = 1000\nowner = "manager"\n'
        '[[routing]]\nkinds = ["cancellation"]\nowner = "save_desk"\n'
    )
    assert policy.route("cancellation", Decimal(500), "Enterprise") == "U0BIGACCT"
    assert policy.route("cancellation", Decimal(500), "smb") == "manager"
    assert policy.route("cancellation", Decimal(5000), "smb") == "save_desk"
    assert policy.route("usage_drop", Decimal(5000), "smb") == "csm"
    assert "U0BIGACCT" in policy.people()
    assert "routing[1] sends cases to manager but roles.managers is empty" in " ".join(
        policy.warnings()
    )


def test_routing_segment_list_and_all_kinds_accepted() -> None:
    kinds = ", ".join(f'"{k}"' for k in KINDS)
    policy = parse_policy(
        f'[[routing]]\nkinds = [{kinds}]\nsegment = ["smb", "mid"]\nowner = "a@b.co"\n'
    )
    assert policy.routing[0].segments == ("smb", "mid")
    assert policy.route("budget_cut", None, "mid") == "a@b.co"


def test_approval_rule_limits() -> None:
    rule = ApprovalRule(
        approver="managers",
        max_discount_pct=Decimal(20),
        max_value=Decimal(10000),
        max_arr=Decimal(100000),
    )
    assert rule.matches(Decimal(20), Decimal(10000), Decimal(100000))
    assert rule.matches(None, Decimal(1), Decimal(1))
    assert not rule.matches(Decimal(21), Decimal(1), Decimal(1))
    assert not rule.matches(Decimal(1), Decimal(10001), Decimal(1))
    assert not rule.matches(Decimal(1), Decimal(1), Decimal(100001))
    assert not rule.matches(Decimal(1), Decimal(1), None)
    assert ApprovalRule(approver="none").matches(Decimal(100), Decimal(10**9), None)
    assert rule.matches(20, 9999.5, 5)


def test_approvals_first_match_and_fallback() -> None:
    policy = parse_policy(
        "[[offers.approval]]\nmax_discount_pct = 5\napprover = 'none'\n"
        "[[offers.approval]]\nmax_value = 20000\napprover = 'save_desk'\n"
        "[[offers.approval]]\nmax_arr = 500000\napprover = '@cs-leads'\n"
    )
    assert policy.approver_for(Decimal(5), Decimal(10**6), None) == "none"
    assert policy.approver_for(Decimal(6), Decimal(20000), None) == "save_desk"
    assert policy.approver_for(Decimal(6), Decimal(20001), Decimal(400000)) == "@cs-leads"
    assert policy.approver_for(Decimal(6), Decimal(20001), Decimal(600000)) == "managers"


def test_move_on_threshold() -> None:
    policy = Policy.defaults()
    assert policy.move_on_needs_confirmation(Decimal(50001))
    assert not policy.move_on_needs_confirmation(Decimal(50000))
    assert not policy.move_on_needs_confirmation(None)


def test_dunning_due_steps() -> None:
    dunning = Policy.defaults().dunning
    assert dunning.highest_due(29) is None
    assert dunning.highest_due(75) == DunningStep(60, "controller")
    assert [s.days_past_due for s in dunning.due_steps(120)] == [30, 60, 90]


def test_signal_phrases_match_at_word_start() -> None:
    signals = Policy.defaults().signals
    assert signals.matching_phrase("We want to CANCEL our plan") == "cancel"
    assert signals.matching_phrase("they are Switching to Acme") == "switching to"
    assert signals.matching_phrase("Cancelled the meeting") == "cancel"
    assert signals.matching_phrase("precancel") is None
    assert signals.matching_phrase("all good here") is None


# --- Slack app manifest ---------------------------------------------------------------------


def test_manifest_registers_command_and_shortcut() -> None:
    manifest = (REPO / "manifest.yml").read_text(encoding="utf-8")
    assert "command: /churn" in manifest
    assert "callback_id: open_churn_case" in manifest
    assert "major_version: 1" in manifest
    assert "https://YOUR-HOST/slack/events" in manifest
    for scope in ("chat:write", "commands", "users:read.email", "usergroups:read", "files:write"):
        assert f"- {scope}\n" in manifest
    assert "url_verification" not in manifest
    assert "\t" not in manifest


def test_currency_is_read_in_capitals_and_described(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, 'currency = "eur"\n'))
    assert policy.currency == "EUR"
    assert "Currency: EUR (accounts imported without one)" in policy.describe()
    assert Policy.defaults().currency == "USD"


def test_every_sections_problem_is_named_in_one_line(tmp_path: Path) -> None:
    """A bad duration used to hide the rest: the mistyped [channels] key, the time zone and
    the currency were each found only by the next run of `check`."""
    message = error_for(
        tmp_path,
        'timezone = "Mars/Olympus"\ncurrency = "dollars"\n'
        '[channels]\ncase = "C0CASES"\n[escalation]\nacknowledge_within = "4x"\n',
    )
    assert message.split("; ") == [
        'escalation.acknowledge_within: "4x" is not a duration (use 30s, 15m, 4h, 2d, 1w)',
        'timezone: "Mars/Olympus" is not a time zone (use a name like "America/New_York")',
        'currency: "dollars" is not an ISO 4217 currency code (use one like "EUR")',
        "channels.case: unknown key (did you mean cases?)",
    ]
