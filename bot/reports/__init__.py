"""The revenue-at-risk report (docs/reports.md): figures from SQL
aggregates, a narrative in plain sentences, a chart, and its delivery through the outbox."""
