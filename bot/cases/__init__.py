"""Cases: one per customer and track, from the signal that opens it to saved, churned or moved on.

`models` (the words: Signal, Opened, Refused, the allowed moves), `service` (CaseService:
finding and opening), `lifecycle` (the one transition), `timeline` (events, thread lines and
the root, for every domain), `actions` (what people do to a case),
`routing` (who owns a new case), `dashboard` (App Home's cases and follow-ups).
"""
