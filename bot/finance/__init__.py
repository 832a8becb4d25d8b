"""Finance: Stripe events, invoices, the dunning ladder and the pre-renewal invoice check.

Collections belong to finance, on a ladder of days past due (docs/dunning.md, *The ladder*);
the CSM is told, never made the owner of a collection.
"""
