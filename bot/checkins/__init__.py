"""Did the save last? Check-ins after a save, answered by the owner or by Stripe."""
