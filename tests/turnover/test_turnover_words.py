"""What a turnover says: progress per contact, the answers, what changed, the sales lead."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.turnover.answers import Answers, Coverage, Destination, Learned, Replacement, RoleFate
from bot.turnover.words import (
    answer_lines,
    changed_answers,
    human_duration,
    lead_text,
    progress_line,
)

DANA = Answers(
    "Dana <Smith>",
    Learned.AFTER_LEFT,
    Coverage.NO_OTHER_CONTACT,
    Destination.ANOTHER_COMPANY,
    RoleFate.REPLACED,
    Replacement.UNKNOWN,
    new_company="Globex & Co",
)


def test_progress_line_names_the_contact_escaped() -> None:
    assert progress_line("Dana <Smith>", 40) == "Dana &lt;Smith&gt;: plan 40% complete"


def test_answer_lines_read_as_labels() -> None:
    lines = answer_lines(DANA)
    assert "*When we learned:* After they left" in lines
    assert "*Where they went:* Another company (Globex &amp; Co)" in lines
    assert "*Replacement:* Not known yet" in lines


def test_changed_answers_list_only_what_changed() -> None:
    later = replace(DANA, replacement=Replacement.EXTERNAL_COMPETITOR, competitor="Initech")
    assert changed_answers(DANA, later) == [
        "Replacement: Not known yet → External, used a competitor",
        "Which competitor: — → Initech",
    ]
    assert changed_answers(DANA, DANA) == []


def test_lead_names_contact_company_account_csm_and_link() -> None:
    text = lead_text(DANA, "Northwind", "U0CSM", "https://slack.example/p1")
    assert "Dana &lt;Smith&gt;" in text and "Globex &amp; Co" in text
    assert "Northwind" in text and "<@U0CSM>" in text
    assert "<https://slack.example/p1|Open the case>" in text


def test_human_duration() -> None:
    assert human_duration(timedelta(days=9, hours=4, minutes=3)) == "9 days 4 hours"
    assert human_duration(timedelta(hours=1, minutes=5)) == "1 hour 5 minutes"
    assert human_duration(timedelta(seconds=20)) == "less than a minute"
