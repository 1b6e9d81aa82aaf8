"""Signals the higher apps listen to (documents imports none of them)."""

from django.dispatch import Signal

#: Sent inside the issuance's transaction, after the receipts are written:
#: `plan` (the issued Plan) and `unit_ids` (its recipient units). The exchange app builds its
#: edXML packages for external recipients here, in the same transaction.
plan_issued = Signal()
