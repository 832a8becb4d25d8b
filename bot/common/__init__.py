"""What every domain shares and none owns: the injected clock, money and dates as people read
them (`formatting`), the mrkdwn helpers for thread-line text (`text`), amounts people type,
durations in the policy, the business calendar, `/churn` parsing, account look-up, frozen
snapshots of rows, the vocabulary (enums re-exported from storage) and the policy's key
paths (docs/ARCHITECTURE.md, *Packages and arrows*)."""
