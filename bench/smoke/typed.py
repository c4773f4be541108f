"""Typed prompts: requests whose task type any developer names the same way.

Written blind to the router, like the pairs. Six per task type: plain prompts, editor-shaped code
completions (a prefix that stops mid-function, no instruction), and agent-shaped requests whose
short latest user turn decides the type, some of them off the agent's own domain (a coding agent
asked for a capital city is chat).
"""

from __future__ import annotations

from typing import Any

from bench.smoke.agents import agent_request, call, result, user
from bench.smoke.conversations import OOM_HISTORY, POOL_READ, TEST_RUN

Request = str | dict[str, Any]


def typed(prompt_id: str, task_type: str, request: Request) -> dict[str, Any]:
    """One line of typed_prompts.jsonl."""
    return {"id": prompt_id, "task_type": task_type, "request": request}


_RATES_PY = """\
     1	import httpx
     2
     3	RATES_URL = "https://fx.internal.acme.io/v1/rates"
     4
     5
     6	async def fetch_rates(client: httpx.AsyncClient, day: str) -> dict[str, float]:
     7	    response = await client.get(RATES_URL, params={"day": day}, timeout=5.0)
     8	    response.raise_for_status()
     9	    return {row["currency"]: float(row["usd_rate"]) for row in response.json()["rates"]}"""

_RATES_READ = [
    user("show me payments/fx.py"),
    call("call_fx", "Read", file_path="/home/dana/src/payments-api/payments/fx.py"),
    result("call_fx", _RATES_PY),
]

COMPLETION = [
    typed("completion-py-prime", "code_completion", """\
import math


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    for d in range(2, math.isqrt(n) + 1):
        if n % d == 0:
            return"""),
    typed("completion-ts-retry", "code_completion", """\
export async function fetchWithRetry(url: string, retries = 3): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
      lastError = new Error(`HTTP ${res.status}`);
    } catch (err) {
"""),
    typed("completion-go-health", "code_completion", """\
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		"""),
    typed("completion-rs-display", "code_completion", """\
use std::fmt;

pub struct Money {
    pub cents: i64,
    pub currency: &'static str,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let units = self.cents.abs() / 100;
        """),
    typed("completion-py-lru", "code_completion", """\
from collections import OrderedDict


class LRUCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        if key not in self.items:
            return None
        self.items.move_to_end(key)
        return self.items[key]

    def put(self, key: str, value: bytes) -> None:
"""),
    typed("completion-sh-backup", "code_completion", """\
#!/usr/bin/env bash
set -euo pipefail

backup_db() {
  local db="$1"
  local out="/var/backups/${db}-$(date +%F).sql.gz"
  pg_dump --format=plain --no-owner "$db" | """),
]

EDIT = [
    typed("edit-py-dict", "code_edit", """\
Refactor this to use a dict lookup instead of the if/elif chain:

```python
def status_label(code: str) -> str:
    if code == "P":
        return "paid"
    elif code == "R":
        return "refunded"
    elif code == "C":
        return "cancelled"
    elif code == "N":
        return "pending"
    else:
        return "unknown"
```"""),
    typed("edit-js-async", "code_edit", """\
Convert this to async/await with fs/promises:

```js
function loadConfig(path, cb) {
  fs.readFile(path, "utf8", (err, text) => {
    if (err) return cb(err);
    try {
      cb(null, JSON.parse(text));
    } catch (e) {
      cb(e);
    }
  });
}
```"""),
    typed("edit-go-offbyone", "code_edit", """\
Fix the off-by-one in this function, it panics with index out of range:

```go
func lastN(xs []int, n int) []int {
	out := make([]int, 0, n)
	for i := len(xs) - n; i <= len(xs); i++ {
		out = append(out, xs[i])
	}
	return out
}
```"""),
    typed("edit-agent-dryrun", "code_edit", agent_request(
        "coding", [], "Add a --dry-run flag to scripts/release.sh that prints the commands instead of running them.")),
    typed("edit-agent-rename", "code_edit", agent_request(
        "coding", [], "Rename the class SettlementSvc to SettlementService everywhere and fix the imports.")),
    typed("edit-agent-backoff", "code_edit", agent_request(
        "coding", _RATES_READ, "Add retries with exponential backoff to fetch_rates (3 attempts, only on 5xx "
        "and timeouts).")),
]

EXPLAIN = [
    typed("explain-regex", "code_explain",
          "What does this regex match? `^(?=.*\\d)(?=.*[a-z])(?=.*[A-Z])(?!.*\\s).{12,}$`"),
    typed("explain-bash", "code_explain",
          "Explain what this does, piece by piece: `find . -name '*.log' -mtime +7 -print0 | xargs -0 -r gzip -9`"),
    typed("explain-rust-borrow", "code_explain", """\
Why doesn't this compile? I don't want a fix yet, I want to understand the error.

```rust
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() > b.len() { a } else { b }
}

fn main() {
    let outer = String::from("payments");
    let result;
    {
        let inner = String::from("ledger");
        result = longest(&outer, &inner);
    }
    println!("{result}");
}
```

error[E0597]: `inner` does not live long enough"""),
    typed("explain-ts-type", "code_explain", """\
What does this TypeScript type do, and how does the recursion stop?

```ts
type DeepReadonly<T> = T extends (...args: any[]) => any
  ? T
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
```"""),
    typed("explain-agent-pool", "code_explain", agent_request(
        "coding", POOL_READ, "Explain what this file does, step by step.")),
    typed("explain-agent-waitgroup", "code_explain", agent_request(
        "coding", POOL_READ, "What is the WaitGroup in this file for?")),
]

PROSE = [
    typed("prose-haiku", "prose", "Write a haiku about autumn rain."),
    typed("prose-decline", "prose",
          "Draft a polite email declining a meeting invitation for Thursday because of a conflict, and propose "
          "two other times next week."),
    typed("prose-rewrite", "prose", """\
Rewrite this paragraph to be clearer and shorter:

"In terms of the onboarding process, it is the case that new hires, who are joining the team, will in \
most situations need to be spending a number of days, typically around three or so, getting their \
development environment set up and configured, which is something that we think could potentially be \
improved upon going forward.\""""),
    typed("prose-toast", "prose", "Write a short toast for my sister's wedding, warm and a little funny."),
    typed("prose-agent-announce", "prose", agent_request(
        "coding", [], "Write a short, friendly announcement for our (non-technical) users that invoices can now "
        "be downloaded as PDF.")),
    typed("prose-agent-customers", "prose", agent_request(
        "ops", [], "Write a two-paragraph message to customers apologising for yesterday's 20-minute checkout "
        "outage, plain and honest.")),
]

DATA = [
    typed("data-growth", "data", """\
Which region grew the most from Q1 to Q2, in percent?

region,q1_sales,q2_sales
North,120400,131900
South,98200,118600
East,143000,139800
West,87500,101200"""),
    typed("data-pivot", "data", """\
Pivot this long-format data into one row per store with a column per month:

store,month,revenue
S1,2025-01,1200
S1,2025-02,1350
S1,2025-03,1100
S2,2025-01,800
S2,2025-02,950
S2,2025-03,990"""),
    typed("data-dedupe", "data", """\
Deduplicate these rows: keep only the most recent row per email (by updated_at).

email,plan,updated_at
ana@example.com,free,2025-09-01
li@example.com,pro,2025-10-12
ana@example.com,pro,2025-11-03
sam@example.com,team,2025-08-20
li@example.com,free,2025-07-30
sam@example.com,team,2025-11-15"""),
    typed("data-expenses", "data", """\
Group these expenses by category and give me the total per category:

date,category,amount
2025-11-01,travel,420.00
2025-11-02,meals,38.50
2025-11-03,software,99.00
2025-11-05,meals,61.20
2025-11-09,travel,185.40
2025-11-12,software,12.00
2025-11-15,meals,22.80"""),
    typed("data-agent-categories", "data", agent_request(
        "data", [], "What were the top 5 product categories by gross revenue last month?")),
    typed("data-agent-active", "data", agent_request(
        "data", [], "How many active users did we have last week compared with the week before?")),
]

EXTRACTION = [
    typed("extract-contacts", "extraction", """\
Extract every email address and phone number from this text as JSON {"emails": [], "phones": []}:

"For the Lisbon venue contact Joana Reis (joana.reis@eventos-lx.pt, +351 912 345 678). Catering is \
handled by Tasca Nova, call +351 213 456 789 or write to reservas@tascanova.pt. Our own coordinator \
is Ben, ben.okafor@acme.io, mobile +44 7700 900123.\""""),
    typed("extract-tickets", "extraction", """\
Classify each support ticket as billing, bug or feature_request. Answer with one label per line.

1. "I was charged twice for my November subscription."
2. "The export button does nothing in Safari 17."
3. "Could you add a dark mode to the dashboard?"
4. "My invoice shows the wrong VAT number."
5. "App crashes when I rotate my phone on the order screen.\""""),
    typed("extract-invoice", "extraction", """\
Pull the invoice number, issue date, due date, currency and total out of this as JSON:

NORDIC CLOUD SERVICES AB — INVOICE
Invoice no.: NCS-2025-11-0482        Issued: 3 November 2025
Customer: Acme Payments Ltd, 14 Harbour St, Leith
Description                          Qty    Unit price     Amount
Managed PostgreSQL (db.m6.large)     720 h  SEK 4.10       SEK 2,952.00
Object storage (GB-month)            1,850  SEK 0.22       SEK 407.00
Support plan — Business              1      SEK 1,500.00   SEK 1,500.00
Subtotal SEK 4,859.00   VAT 25% SEK 1,214.75   Total due SEK 6,073.75
Payment due within 30 days (by 3 December 2025) to IBAN SE35 5000 0000 0549 1000 0003"""),
    typed("extract-sentiment", "extraction", """\
Label each review positive, negative or neutral:

- "Arrived a day early and works perfectly."
- "Stopped charging after two weeks. Waste of money."
- "It's a cable. It does cable things."
- "Customer service sorted out my refund in minutes, great experience.\""""),
    typed("extract-agent-failing", "extraction", agent_request(
        "coding", TEST_RUN, "Give me just the node id of the failing test, nothing else.")),
    typed("extract-agent-restarts", "extraction", agent_request(
        "ops", OOM_HISTORY, "From that output, list each pod name with its restart count as JSON.")),
]

MATH = [
    typed("math-linear", "math", "Solve for x: 3x + 7 = 22."),
    typed("math-derivative", "math", "What is the derivative of x³·sin(x)?"),
    typed("math-odd-sum", "math", "Prove that the sum of the first n odd numbers is n²."),
    typed("math-dice", "math", "If I roll two fair dice, what is the probability that the sum is 8?"),
    typed("math-determinant", "math", "Compute the determinant of [[2, 1, 0], [1, 3, 1], [0, 1, 4]]."),
    typed("math-agent-integral", "math", agent_request(
        "coding", [], "Unrelated quick one: what's the integral of 1/x from 1 to e?")),
]

CHAT = [
    typed("chat-capital", "chat", "What's the capital of Australia?"),
    typed("chat-greeting", "chat", "hi! how's it going?"),
    typed("chat-book", "chat", "Can you recommend a good science-fiction novel for a long flight?"),
    typed("chat-agent-hello", "chat", agent_request("coding", [], "say hello")),
    typed("chat-agent-capital", "chat", agent_request("coding", [], "what's the capital of Australia?")),
    typed("chat-agent-thanks", "chat", agent_request("ops", OOM_HISTORY, "thanks, that's all for today!")),
]

TYPED = [*COMPLETION, *EDIT, *EXPLAIN, *PROSE, *DATA, *EXTRACTION, *MATH, *CHAT]
