"""The cancellation survey: every churn of a case asks its owner for the root cause (not the
symptom the customer stated), the competitor separately, and what was tried; each answer
goes to the function that owns that root cause (docs/survey.md)."""
