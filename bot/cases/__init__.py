"""Cases: one per customer and track, from the signal that opens it to saved, churned or moved on.

`models` (the words: Signal, Opened, Refused, the allowed moves), `service` (CaseService:
opening, the lifecycle's one transition, the timeline), `actions` (what people do to a case),
`routing` (who owns a new case), `dashboard` (App Home's cases and follow-ups).
"""
