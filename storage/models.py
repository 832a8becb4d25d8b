"""The single import point for every table: `from storage.models import Case` wherever a
query or a service needs a row class.

Each table is defined in `storage/tables/<domain>.py` (one module per domain, beside its
queries in `storage/<domain>.py`; docs/ARCHITECTURE.md *Where things go*); this module
defines none and only re-exports them, so callers never need to know which domain module
holds a table. Importing it also registers every table on `Base.metadata` (what Alembic and
the tests' schema compare). Schema changes go through new Alembic migrations
(storage/migrations/versions).
"""

from __future__ import annotations

from storage.base import NAMING, Base, UTCDateTime
from storage.tables.accounts import Account, AccountEvent
from storage.tables.cases import SAVED_SQL, Case, CaseEvent, InboundEvent
from storage.tables.checkins import SaveCheckin
from storage.tables.finance import (
    CLOSED_INVOICE_SQL,
    MONEY,
    OPEN_INVOICE_SQL,
    Invoice,
    RenewalCheck,
    StripeSubscription,
)
from storage.tables.hours import CoveredCase, TimeOff, WorkingHours
from storage.tables.installs import SlackUninstall, slack_bots, slack_installations
from storage.tables.jobs import Heartbeat, Job
from storage.tables.offers import Offer
from storage.tables.outbound import WebhookDelivery
from storage.tables.outbox import OutboxMessage
from storage.tables.outbox_holds import DeliveryPause, WaitingChannel
from storage.tables.people import PeopleRef, SlackUser
from storage.tables.reports import HomeView, StoredReport
from storage.tables.steps import ScheduledStep
from storage.tables.survey import SURVEY_ASKED_SQL, SurveyAnswer, SurveyEdit
from storage.tables.turnover import PlanStep, Turnover
from storage.tables.writeback import WritebackRecord
from storage.vocab import OPEN_STATUSES

__all__ = [
    "CLOSED_INVOICE_SQL",
    "MONEY",
    "NAMING",
    "OPEN_INVOICE_SQL",
    "OPEN_STATUSES",
    "SAVED_SQL",
    "SURVEY_ASKED_SQL",
    "Account",
    "AccountEvent",
    "Base",
    "Case",
    "CaseEvent",
    "CoveredCase",
    "DeliveryPause",
    "Heartbeat",
    "HomeView",
    "InboundEvent",
    "Invoice",
    "Job",
    "Offer",
    "OutboxMessage",
    "PeopleRef",
    "PlanStep",
    "RenewalCheck",
    "SaveCheckin",
    "ScheduledStep",
    "SlackUninstall",
    "SlackUser",
    "StoredReport",
    "StripeSubscription",
    "SurveyAnswer",
    "SurveyEdit",
    "TimeOff",
    "Turnover",
    "UTCDateTime",
    "WaitingChannel",
    "WebhookDelivery",
    "WorkingHours",
    "WritebackRecord",
    "slack_bots",
    "slack_installations",
]
