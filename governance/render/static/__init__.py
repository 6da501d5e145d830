"""Files the docs publish verbatim (``verify.py``: the ledger's standalone verifier)."""
