"""The router: classify a request, decide which model serves it, explain why, learn from outcomes.

Pure by design (DESIGN.md §2): no I/O at decision time, no LiteLLM, no SQLite, no asyncio. The daemon
passes in everything it knows (candidates with health and limits, budget state, the current matrix)
and gets back a ``Decision`` value.

    types.py       requests, candidates, budget state, decisions (frozen values)
    settings.py    RoutingSettings: named policies, surfaces, priors, exploration, decay
    features.py    cheap prompt features
    classify.py    task type and complexity (structure rules + shipped learned weights)
    matrix.py      the versioned routing matrix and quality signals
    policies.py    complexity-gated, cascade, specialist, latency, consensus, cheapest
    engine.py      decide(): eligibility, policy, budget step-down, exploration, fallbacks
    confidence.py  cascade confidence from logprobs and verifiers
    compare.py     consensus comparators and agreement
    batch.py       route_batch() for ``switchboard route --batch``

Import from the submodules; this package module stays empty so importing the settings (as the
config loader does) does not pull in the rest.
"""
