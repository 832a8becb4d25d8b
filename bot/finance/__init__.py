"""Finance: the dunning ladder for overdue invoices and the pre-renewal invoice check.

Room reserved: models, service, flows, messages go here (see docs/ARCHITECTURE.md)."""
