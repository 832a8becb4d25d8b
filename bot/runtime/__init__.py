"""What keeps Savedesk running, apart from any one domain: settings from the environment,
the `Services` the composition root (wiring.py) builds, the scheduler and its delivery
loop, the step runner, durable jobs and job processes, the worker, installations in OAuth
mode, and the health each process reports on `/healthz` (docs/operations.md)."""
