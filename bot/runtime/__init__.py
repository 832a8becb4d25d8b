"""What keeps Savedesk running: durable jobs, the worker's loops and their health."""
