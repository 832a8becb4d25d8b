"""Finance: Stripe events, invoices, the dunning ladder and the pre-renewal invoice check.

Collections belong to finance, on a ladder of days past due (CONTRACT section 7, Dunning);
the CSM is told, never made the owner of a collection.
"""
