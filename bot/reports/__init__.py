"""The revenue-at-risk report (contract sections 4 and 7, *Report*): figures from SQL
aggregates, a narrative in plain sentences, a chart, and its delivery through the outbox."""
