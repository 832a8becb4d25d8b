"""Follow-ups: the durable ladder of nudges, escalations, stale check-ins, snoozes and personal
reminders, as scheduled_steps rows run by StepRunner. `service` holds the Ladder."""
