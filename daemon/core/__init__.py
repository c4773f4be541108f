"""The request core: one request through admit → guard → decide → reserve → attempt(s) → settle → record.

``pipeline`` holds the request object and its steps, ``lifecycle`` runs a request through them, the
``strategies`` (cascade, consensus) make several attempts under one claim, ``accounting`` is the budget
ledger at the I/O edge, ``routing`` the routing step, and ``services`` what a request uses."""
