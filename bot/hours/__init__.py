"""Each person's working hours, time off and cover (docs/hours.md, *Time off
and cover*)."""
