"""Survey: the root cause of every loss, asked of the owner and routed to reason owners.

Room reserved: models, service, flows, messages go here (see docs/ARCHITECTURE.md)."""
