"""Reports: /churn report and the weekly post: saved, at-risk and churned ARR (room reserved)."""
