"""The request core: one request through admit → guard → decide → reserve → attempt(s) → settle → record
(``pipeline``), the budget ledger at the I/O edge (``accounting``), the routing step (``routing``), the
strategies that make several calls (``strategies``), and the services a request uses (``services``)."""
