"""The server instructions: how an agent gets the most out of Switchboard (sent at initialization)."""

INSTRUCTIONS = """\
Switchboard routes LLM requests to the right model at the right cost and keeps the developer's budget.
Use it to spend less of your own context and the user's money:

- Delegate cheap, self-contained subtasks with run_task (tests, docs, explanations, summaries, boilerplate,
  extraction). Put everything the model needs in `prompt` and `files`; it sees nothing else. Leave `model`
  as "auto" unless you have a reason; set `priority="critical"` only for work that must not be downgraded.
- Call route_task to preview which model would take a task and what it would cost, without running it.
- Before an irreversible or risky step (a migration, deleting data, a security-relevant change, a public
  API decision), ask for consensus. Act on "agree"; on "disagree", read the answers, tell the user, and
  prefer the cautious option (the case is queued for a person to review).
- When you could verify a delegated result (tests passed, it compiled, it was right or wrong), rate it with
  rate_result (0..1, with a short comment). Only rate what you verified: ratings train the router.
- Check budget_status before a long series of delegations. When the budget is exhausted, tool calls fail
  with budget_exceeded: do the work yourself and tell the user; do not retry.
- explain_trace and recent_traces tell you what happened to earlier requests (model, attempts, cost).
- Errors are returned as tool errors whose last line says what to do next.
Resources: switchboard://matrix, switchboard://budget, switchboard://traces and switchboard://traces/{id}
(subscribe to hear when they change).
"""
