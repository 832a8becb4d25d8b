"""Each person's working hours, time off and cover (README *Working hours*, *Time off
and cover*)."""
