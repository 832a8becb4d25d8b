"""A local stand-in for the Slack Web API, served over real HTTP on 127.0.0.1: used by the
test suite and by `python app.py demo`. `python -m demo.standin` runs it on its own."""

from demo.standin.records import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Call,
    Fault,
    UploadedFile,
    dm_channel,
)
from demo.standin.server import SlackStandin
from demo.standin.validation import (
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    SlackError,
    block_problems,
    view_problems,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "MAX_MESSAGE_BLOCKS",
    "MAX_VIEW_BLOCKS",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "TEAM_NAME",
    "Call",
    "Fault",
    "SlackError",
    "SlackStandin",
    "UploadedFile",
    "block_problems",
    "dm_channel",
    "view_problems",
]
