"""Obvious pairs: (clearly easier, clearly harder) requests a developer sends, across six domains.

Written blind to the router (no classifier code, features, weights or training data were read),
to be a yardstick, not a training set. "Clearly" means any developer agrees at a glance which side
needs the stronger model. Length is deliberately not the tell: many pairs put a long, trivial
request against a short, hard one, and the agent pairs share their (long) system prompt and tools
so only the conversation differs.
"""

from __future__ import annotations

from typing import Any

from bench.smoke.agents import agent_request, assistant, call, result, user
from bench.smoke.conversations import OOM_HISTORY, POOL_READ, TEST_RUN

Request = str | dict[str, Any]


def pair(pair_id: str, domain: str, easier: Request, harder: Request) -> dict[str, Any]:
    """One line of obvious_pairs.jsonl."""
    return {"id": pair_id, "domain": domain, "easier": easier, "harder": harder}


# -- code --------------------------------------------------------------------------------------------

_INVOICE_TABLE = """\
import { formatMoney } from "../lib/money";
import type { Invoice } from "../api/types";

type Props = {
  invoiceList: Invoice[];
  onSelect?: (id: string) => void;
  loading?: boolean;
};

export function InvoiceTable({ invoiceList, onSelect, loading = false }: Props) {
  if (loading) return <Spinner label="Loading invoices" />;
  if (invoiceList.length === 0) return <EmptyState message="No invoices yet" />;
  return (
    <table className="invoice-table">
      <thead>
        <tr><th>Number</th><th>Customer</th><th>Due</th><th>Total</th></tr>
      </thead>
      <tbody>
        {invoiceList.map((inv) => (
          <tr key={inv.id} onClick={() => onSelect?.(inv.id)}>
            <td>{inv.number}</td>
            <td>{inv.customerName}</td>
            <td>{new Date(inv.dueAt).toLocaleDateString()}</td>
            <td>{formatMoney(inv.totalCents, inv.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}"""

_UTIL_PY = """\
def cents_to_str(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def is_refundable(order, now):
    return order.status == "paid" and (now - order.paid_at).days <= 30


def mask_card(number):
    return "*" * (len(number) - 4) + number[-4:]


def chunked(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def currency_symbol(code):
    return {"EUR": "€", "USD": "$", "GBP": "£"}.get(code, code)


def normalize_iban(iban):
    return iban.replace(" ", "").upper()"""

_SPSC_RS = """\
pub struct Spsc<T> {
    buf: Box<[UnsafeCell<MaybeUninit<T>>]>,
    head: AtomicUsize, // next slot to read (consumer)
    tail: AtomicUsize, // next slot to write (producer)
}

unsafe impl<T: Send> Sync for Spsc<T> {}

impl<T> Spsc<T> {
    pub fn push(&self, value: T) -> Result<(), T> {
        let tail = self.tail.load(Ordering::Relaxed);
        let next = (tail + 1) % self.buf.len();
        if next == self.head.load(Ordering::Relaxed) {
            return Err(value); // full
        }
        unsafe { (*self.buf[tail].get()).write(value) };
        self.tail.store(next, Ordering::Relaxed);
        Ok(())
    }

    pub fn pop(&self) -> Option<T> {
        let head = self.head.load(Ordering::Relaxed);
        if head == self.tail.load(Ordering::Relaxed) {
            return None; // empty
        }
        let value = unsafe { (*self.buf[head].get()).assume_init_read() };
        self.head.store((head + 1) % self.buf.len(), Ordering::Relaxed);
        Some(value)
    }
}"""

_FLAGS_TS = """\
export const featureFlags = {
  newCheckout: { enabled: true, rollout: 100, owner: "payments" },
  darkMode: { enabled: true, rollout: 100, owner: "web" },
  invoicePdfV2: { enabled: false, rollout: 0, owner: "billing" },
  searchSuggestions: { enabled: true, rollout: 50, owner: "search" },
  betaDashboard: { enabled: true, rollout: 10, owner: "growth" },
  applePay: { enabled: true, rollout: 100, owner: "payments" },
  giftCards: { enabled: false, rollout: 0, owner: "payments" },
  abandonedCartEmail: { enabled: true, rollout: 100, owner: "growth" },
  multiCurrency: { enabled: true, rollout: 25, owner: "payments" },
  reviewsWidget: { enabled: true, rollout: 100, owner: "catalog" },
  wishlistSync: { enabled: false, rollout: 0, owner: "web" },
  orderTrackingMap: { enabled: true, rollout: 75, owner: "logistics" },
  loyaltyPoints: { enabled: true, rollout: 100, owner: "growth" },
  quickReorder: { enabled: true, rollout: 5, owner: "web" }
}"""

_REPORT_PY = """\
import csv
import sys


def load(path):
    print("loading", path)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    print("loaded", len(rows), "rows")
    return rows


def summarize(rows):
    total = 0
    for row in rows:
        if row["status"] != "paid":
            print("skipping", row["id"], row["status"])
            continue
        total += int(row["total_cents"])
    print("total cents:", total)
    return total


def main():
    if len(sys.argv) != 2:
        print("usage: report.py FILE")
        sys.exit(2)
    rows = load(sys.argv[1])
    total = summarize(rows)
    print(f"paid total: {total / 100:.2f}")


if __name__ == "__main__":
    main()"""

CODE = [
    pair(
        "code-01", "code",
        agent_request("coding", [], "say hello"),
        agent_request("coding", [], "Refactor the retry logic in payments/client.py, payments/webhooks.py and "
                      "billing/charge.py into one async retry state machine in payments/retry.py. Keep the public "
                      "API of PaymentClient unchanged, and prove with tests that idempotency keys still dedupe "
                      "concurrent charges, including when a retry races the provider's webhook."),
    ),
    pair(
        "code-02", "code",
        agent_request("coding", TEST_RUN, "ok thanks. what does the -q flag on pytest do?"),
        agent_request("coding", TEST_RUN, "That test fails about one run in five. Find the race in ledger.settle() "
                      "and fix it without a table-level lock; show me the interleaving that loses the 1500 first."),
    ),
    pair(
        "code-03", "code",
        agent_request("coding", [], "In dashboard/src/components/InvoiceTable.tsx, please rename the prop "
                      "`invoiceList` to `invoices` (and its uses inside the component). Here is the file so you "
                      "don't have to open it:\n\n```tsx\n" + _INVOICE_TABLE + "\n```"),
        agent_request("coding", [], "Make the settlement batch job exactly-once across worker crashes and restarts."),
    ),
    pair(
        "code-04", "code",
        agent_request("coding", POOL_READ, "Which package is this file in?"),
        agent_request("coding", POOL_READ, "This pool leaks goroutines when ctx is cancelled mid-batch (Submit "
                      "blocks forever, and workers block on results). Fix it and add a test with goleak proving no "
                      "goroutine outlives Stop(), even when nobody drains Results()."),
    ),
    pair(
        "code-05", "code",
        agent_request("coding", [], "Add a one-line docstring to each of these helpers in payments/util.py so "
                      "pydocstyle stops complaining, nothing else:\n\n```python\n" + _UTIL_PY + "\n```"),
        agent_request("coding", [], "Migrate our SQLAlchemy 1.4 Query API usage to 2.0-style select() across the "
                      "service without changing behaviour."),
    ),
    pair(
        "code-06", "code",
        "What does `len()` return for a Python dict?",
        "This single-producer single-consumer ring buffer passes our unit tests on x86 but loom reports a data "
        "race, and on an ARM Graviton box the consumer sometimes reads garbage. Find the memory-ordering bug, "
        "explain which happens-before edges are missing, and give the minimal correct orderings:\n\n```rust\n"
        + _SPSC_RS + "\n```",
    ),
    pair(
        "code-07", "code",
        "Please sort the keys of this TypeScript object alphabetically and keep everything else exactly the "
        "same (values, formatting, the export):\n\n```ts\n" + _FLAGS_TS + "\n```",
        "Implement a persistent hash array mapped trie in Rust with structural sharing and O(log32 n) updates.",
    ),
    pair(
        "code-08", "code",
        "Add type hints to this function:\n\n```python\ndef add(a, b):\n    return a + b\n```",
        "Our FastAPI service's RSS grows ~200 MB per hour under load and only drops on restart. A tracemalloc "
        "snapshot diff after one hour shows:\n\n```\n"
        "app/pricing.py:41: size=611 MiB (+598 MiB), count=2410331 (+2359102), average=266 B\n"
        "app/clients/fx.py:88: size=97.2 MiB (+95.9 MiB), count=51200 (+50501), average=1990 B\n"
        "asyncio/tasks.py:680: size=23.1 MiB (+22.8 MiB), count=88002 (+86950), average=275 B\n```\n\n"
        "pricing.py:41 is `@functools.lru_cache(maxsize=None)` on the method `PriceBook.quote(self, sku, "
        "currency, ts)`, a PriceBook is built per request, and fx.py:88 fires `asyncio.create_task(self."
        "_refresh())` without keeping a reference. Explain every leak, why the GC does not reclaim it, and fix "
        "them without losing the caching benefit.",
    ),
    pair(
        "code-09", "code",
        "Replace every print() call in this script with logging.info() (same messages), and add a basicConfig "
        "at the top of main():\n\n```python\n" + _REPORT_PY + "\n```",
        "Design a CRDT for collaborative rich text that preserves intent for concurrent formatting spans, and "
        "implement its merge in TypeScript.",
    ),
]

# -- ops ---------------------------------------------------------------------------------------------

_OOM_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout-api, namespace: checkout}
spec:
  replicas: 12
  template:
    spec:
      containers:
      - name: api
        image: registry.acme.io/checkout-api:2025.11.3
        env:
        - {name: JAVA_TOOL_OPTIONS, value: "-XX:MaxRAMPercentage=75 -XX:+UseG1GC"}
        - {name: NETTY_MAX_DIRECT_MEMORY, value: "0"}
        resources:
          requests: {cpu: "1", memory: 1Gi}
          limits: {cpu: "2", memory: 2Gi}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: checkout-api, namespace: checkout}
spec:
  minReplicas: 12
  maxReplicas: 60
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}"""

_NGINX_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-frontend
  namespace: catalog
  labels:
    app: web-frontend
    team: catalog
spec:
  replicas: 4
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app: web-frontend
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: web-frontend
    spec:
      containers:
      - name: nginx
        image: nginx:1.27.2
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: 8080
          periodSeconds: 5
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            memory: 256Mi
        volumeMounts:
        - name: conf
          mountPath: /etc/nginx/conf.d
      volumes:
      - name: conf
        configMap:
          name: web-frontend-nginx"""

_CI_WORKFLOW = """\
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [api, worker, billing, search, notifications, admin, gateway, ledger]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install -r requirements-dev.txt
      - run: docker compose up -d postgres redis kafka
      - run: sleep 60
      - run: make migrate
      - run: pytest services/${{ matrix.service }} -n 2
  e2e:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker compose build
      - run: docker compose up -d
      - run: npx playwright install --with-deps
      - run: npx playwright test"""

_CRONTAB = """\
# m h  dom mon dow   command
*/5 * * * * /opt/scripts/healthcheck.sh >> /var/log/healthcheck.log 2>&1
0 * * * * /usr/bin/flock -n /tmp/sync.lock /opt/scripts/sync_catalog.sh
15 3 * * * /opt/scripts/rotate_logs.sh
30 3 * * 0 /opt/scripts/vacuum_analyze.sh --db orders
0 4 * * * /usr/local/bin/certbot renew --quiet
0 6 * * 1-5 /opt/scripts/daily_report.py --to ops@acme.io
45 23 * * * /opt/scripts/export_metrics.sh s3://acme-metrics/daily/
0 0 1 * * /opt/scripts/monthly_invoices.py
*/15 9-18 * * 1-5 /opt/scripts/queue_depth_alert.sh
10 2 * * * /opt/scripts/prune_docker.sh"""

_BASHRC = """\
# ~/.bashrc additions
export EDITOR=nvim
export PATH="$HOME/.local/bin:$HOME/go/bin:$PATH"
export HISTSIZE=100000
export HISTCONTROL=ignoreboth:erasedups
shopt -s histappend
alias ll='ls -alF'
alias la='ls -A'
alias k='kubectl'
alias kctx='kubectl config use-context'
alias tf='terraform'
alias gco='git checkout'
alias gp='git pull --rebase'
alias dc='docker compose'
eval "$(direnv hook bash)"
eval "$(starship init bash)"
source <(kubectl completion bash)
complete -o default -F __start_kubectl k
[ -f ~/.fzf.bash ] && source ~/.fzf.bash"""

_DOCKERFILE = """\
FROM python:3.12-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev \\
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml poetry.lock ./
RUN pip install --no-cache-dir poetry==1.8.3 && poetry export -o requirements.txt \\
    && pip wheel --no-cache-dir -r requirements.txt -w /wheels

FROM python:3.12-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\
    && rm -rf /var/lib/apt/lists/* && useradd -r -u 10001 app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
COPY src/ ./src/
USER app
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["gunicorn", "src.app:app", "-k", "uvicorn.workers.UvicornWorker", "-w", "4", "-b", "0.0.0.0:8000"]"""

OPS = [
    pair(
        "ops-01", "ops",
        "What does `ls -la` do?",
        "Our checkout pods get OOMKilled only under bursty traffic (flash sales), although the memory limit is "
        "2x the steady-state RSS. Manifests:\n\n```yaml\n" + _OOM_MANIFEST + "\n```\n\nMetrics during the last "
        "sale (per pod): container_memory_working_set_bytes climbs from 0.95 GiB to 2.0 GiB in ~90 s; JVM heap "
        "used stays under 1.1 GiB; jvm_buffer_memory_used_bytes{id=\"direct\"} goes from 40 MiB to 610 MiB; "
        "replicas go 12 -> 31 over 4 minutes; p99 latency 180 ms -> 2.4 s. Find the cause and propose a fix, "
        "both a same-day mitigation and the proper change.",
    ),
    pair(
        "ops-02", "ops",
        agent_request("ops", [], "Which cluster context do you use by default?"),
        agent_request("ops", [], "p99 latency of checkout in prod-eu-1 doubled after yesterday's 14:00 UTC "
                      "deploy, but CPU, memory and error rate look flat. Investigate with the metrics and logs "
                      "tools and tell me the root cause and a fix."),
    ),
    pair(
        "ops-03", "ops",
        agent_request("ops", OOM_HISTORY, "How many of those pods have restarted at least once?"),
        agent_request("ops", OOM_HISTORY, "These only OOM during flash sales even though the limit is twice the "
                      "steady-state RSS and heap stays under 1.1 GiB. It's Netty with direct buffers. Work out where "
                      "the memory goes under burst, and give me a fix we can ship today plus the proper one."),
    ),
    pair(
        "ops-04", "ops",
        agent_request("ops", [], "Bump the nginx image in this deployment from 1.27.2 to 1.27.3 and show me the "
                      "resulting manifest, nothing else changes:\n\n```yaml\n" + _NGINX_DEPLOYMENT + "\n```"),
        agent_request("ops", [], "Consumer lag on orders-events keeps growing in prod-eu-1. Why?"),
    ),
    pair(
        "ops-05", "ops",
        "How do I see how much disk space a directory uses on Linux?",
        "Our GitHub Actions CI takes 38 minutes per push and costs us ~$4k a month. Here is the workflow:\n\n"
        "```yaml\n" + _CI_WORKFLOW + "\n```\n\nEach test job spends ~4 min on pip install, 60 s sleeping, ~3 "
        "min on migrations; e2e spends 14 min building images with no layer cache. Get it under 10 minutes "
        "wall-clock without dropping any tests, and explain each change and its effect on cost.",
    ),
    pair(
        "ops-06", "ops",
        "Here's my crontab:\n\n```\n" + _CRONTAB + "\n```\n\nAdd a line that runs /opt/scripts/backup.sh every "
        "day at 2am.",
        "Plan a zero-downtime upgrade of a 4 TB PostgreSQL 12 primary with two replicas to 16.",
    ),
    pair(
        "ops-07", "ops",
        "Here's the end of my .bashrc:\n\n```bash\n" + _BASHRC + "\n```\n\nAdd an alias gs for git status.",
        "Why does a 3-node etcd cluster spread over two AZs lose quorum when one AZ fails, and how do we fix "
        "that without a third AZ?",
    ),
    pair(
        "ops-08", "ops",
        "What's the command to restart nginx on Ubuntu?",
        "Since we rotated the certificate yesterday, ~3% of TLS handshakes to api.acme.io fail. Setup: AWS NLB "
        "(TCP passthrough) -> ingress-nginx 1.11 (6 replicas) -> services. Errors in the ingress logs:\n\n```\n"
        "2025/11/26 09:14:02 [info] 31#31: *88213 SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::"
        "certificate verify failed) while SSL handshaking, client: 10.4.7.19\n"
        "2025/11/26 09:14:05 [info] 29#29: *88240 SSL_do_handshake() failed (SSL: error:0A000412:SSL routines::"
        "sslv3 alert bad certificate:SSL alert number 42) while SSL handshaking, client: 10.4.3.202\n```\n\n"
        "`openssl s_client -connect api.acme.io:443 -servername api.acme.io` run 20 times: 19 return the new "
        "chain (leaf + R11), one returns only the leaf. Failing clients are mostly Android 7 devices and one "
        "partner's Java 8 batch job. cert-manager shows the Certificate Ready. Find the cause and the fix, and "
        "explain why only some handshakes and some clients fail.",
    ),
    pair(
        "ops-09", "ops",
        "What base image does this Dockerfile use?\n\n```dockerfile\n" + _DOCKERFILE + "\n```",
        "Design active-active multi-region for our API on AWS: Aurora Global Database, Route 53 latency "
        "routing, and automated failover with an RPO under 1 s.",
    ),
]

# -- math --------------------------------------------------------------------------------------------

MATH = [
    pair("math-01", "math", "What is 7 times 8?", "Prove that there are infinitely many primes p ≡ 3 (mod 4)."),
    pair(
        "math-02", "math",
        "I'm trying to check my grocery spending for November. Here are the totals from each receipt: 12.40, "
        "8.99, 23.15, 4.50, 17.80, 31.25, 9.99, 14.60, 6.75, 22.30, 11.10 and 5.45. What's the total?",
        "Prove that √2 + √3 is irrational.",
    ),
    pair(
        "math-03", "math",
        "Convert 3/4 to a percentage.",
        "Let X1, ..., Xn be i.i.d. Exponential(λ). Derive the distribution of the sample range R = max Xi − min "
        "Xi, and compute E[R] and Var[R]. Show each step.",
    ),
    pair(
        "math-04", "math",
        "We're ordering pizza for our team's quarterly planning offsite. There will be 12 people, and from past "
        "experience everyone eats about 3 slices, a couple of people eat 4. Each large pizza from the place "
        "down the street has 8 slices. If we assume 3 slices each for everyone, how many large pizzas do we "
        "need to order so nobody goes hungry?",
        "Show that every group of order 15 is cyclic.",
    ),
    pair(
        "math-05", "math",
        "What's 15% of 80?",
        "A fair coin is flipped until either HTH or HHT appears. Which pattern is more likely to appear first, "
        "with what probability, and what is the expected number of flips until the game ends? Justify with a "
        "Markov chain or a martingale argument.",
    ),
    pair(
        "math-06", "math",
        "I'm redoing the floors in our flat and need the area of each room: hallway 1.2 m × 5.4 m, kitchen 3.1 m "
        "× 3.6 m, living room 4.8 m × 5.2 m, bedroom 3.5 m × 4.0 m, office 2.8 m × 3.0 m, and the bathroom "
        "2.1 m × 2.4 m. Give me each room's area in square metres and the total.",
        "Evaluate ∫₀^∞ sin(x)/x dx rigorously.",
    ),
    pair(
        "math-07", "math",
        "Is 17 a prime number?",
        "Solve the recurrence T(n) = 2T(√n) + log n and prove that your bound is tight.",
    ),
    pair(
        "math-08", "math",
        "Round 3.14159 to two decimal places.",
        "Find all integer solutions of x² − 2y² = 1 and prove that there are no others.",
    ),
    pair(
        "math-09", "math",
        "My pancake recipe serves 4 and uses 250 g of flour, 2 eggs, 300 ml of milk, 30 g of melted butter, "
        "1 tablespoon of sugar, 2 teaspoons of baking powder and a pinch of salt. I'm making breakfast for 6 "
        "people this weekend. How much of each ingredient do I need?",
        "Prove Cauchy–Schwarz in a real inner product space, then derive the triangle inequality from it.",
    ),
]

# -- prose -------------------------------------------------------------------------------------------

_EMAIL = """\
Hi Marco,

I saw that the quarterly vendor report still isn't in the shared folder. It was due last Friday and \
I already asked about it twice in the channel. Finance needs it for the board deck and they are asking \
me every day now. I also noticed that the numbers for October in the draft you sent in September were \
copied from the wrong tab, so please double check those before you upload it. Send it by Wednesday.

Thanks,
Priya"""

_MEETING_NOTES = """\
Platform sync, Tuesday
- attendees: Sam, Priya, Jonas, Mei, Alex (notes), Dmitri joined late
- the postgres upgrade window moved to the 14th because of the marketing campaign on the 7th
- jonas will own the runbook for the upgrade and dry-run it on staging next Monday
- priya reported that the CI bill went down 18% after the cache change
- we agreed to stop using the old jenkins box by end of quarter; mei to check what still depends on it
- alex raised that on-call handover notes are inconsistent, proposal to use a template in the incident tool
- dmitri asked for help with the terraform state split, sam volunteered for two afternoons
- next sync in two weeks, same time"""

_README_INTRO = """\
Relay is a small e-mail delivery service for internal tools. Teams send e-mail through Relay instead \
of talking to the SMTP provider directly, so that we have one place to handle bounces, unsubscribes and \
rate limits. To send an e-mail, POST a JSON body to /v1/send with the recipient, a template name and \
the template's variables; Relay renders the template, checks the recipient against the suppression \
list and queues the e-mail. Delivery status is available at /v1/messages/{id}, and every e-mail's \
events (queued, sent, delivered, bounced, complained) are published to the relay.events topic. If \
you need a new e-mail template, open a pull request in the templates/ folder; the #relay channel \
reviews them within a day."""

_RELEASE_ITEMS = """\
- Search: results now highlight matched terms
- Billing: invoices can be downloaded as PDF from the account page
- API: new endpoint GET /v2/orders/{id}/events
- Dashboard: dark mode follows the system setting
- Notifications: digest emails can be sent weekly instead of daily
- Checkout: Apple Pay is available in Canada and Australia
- Admin: bulk user import accepts CSV files up to 50 MB
- API: rate limit headers on every response
- Mobile: offline mode for the order history screen
- Accessibility: all form fields have visible labels
- Catalog: product pages load 30% faster
- Security: sessions expire after 12 hours of inactivity"""

PROSE = [
    pair(
        "prose-01", "prose",
        "Fix the typo in this sentence: \"Teh standup is moved to 10am tomorrow.\"",
        "Write a ~1,500-word design doc arguing for event sourcing over CRUD for our payments ledger. Cover the "
        "trade-offs (audit, replay, schema evolution, read models, operational cost), a phased migration from "
        "the current PostgreSQL tables, and the risks. The audience is skeptical senior engineers who have "
        "been burned by event sourcing before, so address their likely objections head-on.",
    ),
    pair(
        "prose-02", "prose",
        "Can you make this email a bit more polite? Keep it short.\n\n" + _EMAIL,
        "Write a sestina about on-call rotations.",
    ),
    pair(
        "prose-03", "prose",
        "Give me a synonym for \"quick\".",
        "Write the public postmortem for last night's outage. Facts: 21:04 UTC a config push set the payment "
        "provider timeout to 300 ms instead of 3000 ms; 21:06 checkout success rate fell from 99.2% to 61%; "
        "21:19 on-call paged; 21:47 rollback; 22:05 full recovery; ~18,400 customers saw failed payments and "
        "none were double-charged. It must own the mistake without blaming the vendor, explain the cause "
        "accurately to non-engineers, commit to three specific remediations with dates, and stay under 600 "
        "words.",
    ),
    pair(
        "prose-04", "prose",
        "Please capitalise the first letter of each bullet in these meeting notes and don't change anything "
        "else:\n\n" + _MEETING_NOTES,
        "Write a Borges-style short story about a library containing every possible git commit.",
    ),
    pair(
        "prose-05", "prose",
        "Write a one-line commit message for fixing a typo in the README.",
        "Draft our RFC for moving internal service-to-service calls from REST to gRPC: motivation, alternatives "
        "considered (Connect, GraphQL federation, staying on REST with OpenAPI codegen), a phased migration for "
        "40 services owned by 9 teams, backward compatibility, observability, failure modes, risks and open "
        "questions. The readers are staff engineers who will push back on every claim.",
    ),
    pair(
        "prose-06", "prose",
        "Change every \"e-mail\" to \"email\" in this paragraph, nothing else:\n\n" + _README_INTRO,
        "Write a persuasive op-ed against mandatory return-to-office that rebuts the three strongest "
        "counterarguments.",
    ),
    pair(
        "prose-07", "prose",
        "Write a haiku about coffee.",
        "Write the narrative section (about 1,500 words) of a grant proposal to an open-source sustainability "
        "fund. The project is a Rust HTTP/2 library used by ~4,000 crates with two part-time maintainers; the "
        "money would pay for a security audit, continuous fuzzing and 18 months of maintainer time. Include "
        "the problem, goals with measurable outcomes, budget justification, risks and a sustainability plan "
        "for after the grant ends, in the fund's plain-spoken tone.",
    ),
    pair(
        "prose-08", "prose",
        "Write a short thank-you note to a colleague who covered my on-call shift last weekend.",
        "Translate this clause from our German supplier contract into English so that its legal effect is "
        "preserved, and explain where a literal translation would change its meaning: \"Die Haftung des "
        "Auftragnehmers für leicht fahrlässig verursachte Schäden ist, außer bei der Verletzung wesentlicher "
        "Vertragspflichten (Kardinalpflichten), ausgeschlossen; im Übrigen ist sie auf den vertragstypischen, "
        "vorhersehbaren Schaden begrenzt.\"",
    ),
    pair(
        "prose-09", "prose",
        "Put these release note items in alphabetical order:\n\n" + _RELEASE_ITEMS,
        "Write a eulogy for a retired mainframe that is funny and genuinely moving.",
    ),
]

# -- chat --------------------------------------------------------------------------------------------

CHAT = [
    pair(
        "chat-01", "chat",
        "What is the capital of France?",
        "Explain why the Bretton Woods system collapsed, and whether the same pressures apply to the dollar's "
        "reserve-currency status today. Weigh the strongest arguments on each side.",
    ),
    pair(
        "chat-02", "chat",
        "Hi! I just got back from two weeks in Portugal with my partner. We started in Lisbon, took the train "
        "up to Porto for the port cellars, then rented a car and drove down through the Douro valley and all "
        "the way to the Algarve, where we spent the last five days on the beach near Lagos. The food was "
        "amazing and everyone was so friendly. We want to send a card to our Airbnb host in Porto. How do you "
        "say \"thank you\" in Portuguese?",
        "Could P vs NP be independent of ZFC? Argue both sides.",
    ),
    pair(
        "chat-03", "chat",
        "Say hello.",
        "I'm choosing between two offers. A: Series B startup, 50 people, $165k base, 0.15% in options "
        "(4-year vest, 1-year cliff), last round at a $400M post-money, preferred stock with a 1x "
        "non-participating preference. B: big tech, $190k base, $240k in RSUs over 4 years, 10% target bonus. "
        "I'm 31, have $40k saved, a mortgage, and want to become a staff engineer within 5 years. Help me "
        "reason about expected value and risk (dilution, exit odds, tax on exercise), the career trade-offs, "
        "and the questions I should ask each company before deciding.",
    ),
    pair(
        "chat-04", "chat",
        "So yesterday we finally adopted the grey kitten we've been visiting at the shelter for weeks! She's "
        "about ten weeks old, very playful, already knocked a plant off the windowsill and has claimed the "
        "laundry basket as her bed. The kids wanted to call her Dust Bunny but we're not sure yet. Can you "
        "suggest a few cute names for a grey cat?",
        "Steelman both sides: do large language models understand language?",
    ),
    pair(
        "chat-05", "chat",
        "How many days are there in a leap year?",
        "Compare the 2008 financial crisis with the 2023 US regional bank failures (SVB, Signature, First "
        "Republic): what was structurally similar, what differed, and which regulatory changes would have "
        "prevented each?",
    ),
    pair(
        "chat-06", "chat",
        "Good morning! How are you today?",
        "My 7-year-old asked how we know the Earth is 4.5 billion years old. Explain radiometric dating so I can "
        "retell it to her, then give me the rigorous version for myself, including the isochron method and why "
        "it does not depend on knowing how much daughter isotope was there to begin with.",
    ),
    pair(
        "chat-07", "chat",
        "I'm packing for a conference trip and made a list: passport, boarding pass, laptop, laptop charger, "
        "phone charger, USB-C cable, travel adapter, headphones, toothbrush, toothpaste, deodorant, razor, "
        "three shirts, one blazer, two pairs of trousers, underwear, socks, running shoes, running clothes, "
        "a jacket, an umbrella, business cards, a notebook, pens, painkillers, and my badge printout. Is "
        "toothpaste on my list?",
        "What would today's world look like if the printing press had appeared 500 years earlier? Reason "
        "through the second-order effects.",
    ),
    pair(
        "chat-08", "chat",
        "Which is bigger, a kilometre or a mile?",
        "Explain how mRNA vaccines work, from lipid-nanoparticle uptake to antibody and T-cell responses, and "
        "why the switch to N1-methylpseudouridine mattered.",
    ),
    pair(
        "chat-09", "chat",
        "Hey! Just wanted to say thanks so much for your help planning my son's birthday party last week. The "
        "kids loved the treasure hunt idea and the clues you came up with, especially the one hidden in the "
        "freezer, and the parents said it was the best party of the year. Anyway, that's all, no question this "
        "time, just thank you! Have a great day.",
        "Would a Dyson sphere be detectable from 1,000 light-years away? How?",
    ),
]

# -- data --------------------------------------------------------------------------------------------

_REVENUE_HISTORY = [
    user("show me revenue by day for last week"),
    call("call_r1", "describe_table", table="core.orders"),
    result("call_r1", "id bigint not null | user_id bigint not null | status text not null (paid, pending, "
           "cancelled, refunded) | total_cents bigint not null | currency char(3) not null | created_at "
           "timestamptz not null | paid_at timestamptz null"),
    call("call_r2", "run_sql", query="SELECT date_trunc('day', o.paid_at)::date AS day, count(*) AS orders, "
         "round(sum(o.total_cents * fx.usd_rate) / 100) AS gross_usd FROM core.orders o JOIN finance.fx_rates fx "
         "ON fx.day = o.paid_at::date AND fx.currency = o.currency WHERE o.status = 'paid' AND o.paid_at >= "
         "'2025-11-17' AND o.paid_at < '2025-11-24' GROUP BY 1 ORDER BY 1", limit=20),
    result("call_r2", """\
day        | orders | gross_usd
2025-11-17 | 4812   | 391204
2025-11-18 | 4630   | 377918
2025-11-19 | 4977   | 402311
2025-11-20 | 5102   | 418077
2025-11-21 | 6240   | 529866
2025-11-22 | 7015   | 611402
2025-11-23 | 5876   | 487120"""),
    assistant("Gross revenue last week (paid orders, USD at the payment day's rate) was $3.22M over 38,652 "
              "orders, peaking on Saturday 22 Nov at $611k."),
]

_ROSTER = """\
Maria Gonzalez, Tom Becker, Aisha Khan, Lars Nilsson, Chen Wei, Fatima Ali, John Smith, Yuki Tanaka, \
Olivia Brown, Pierre Dubois, Sofia Rossi, Kwame Mensah, Anna Kowalska, Raj Patel, Emma Wilson, \
Mateo Silva, Ingrid Berg, Noah Cohen, Leila Haddad, Lucas Martin, Hana Novak, Diego Ramirez, \
Grace Lee, Omar Farouk, Sara Lindqvist, Ben Carter, Nadia Petrova, Ivan Horvat, Zoe Clarke, Ali Reza"""

_CITY_TEMPS = """\
city,date,max_temp_c
Lisbon,2025-07-14,31.2
Madrid,2025-07-14,38.9
Paris,2025-07-14,29.4
Berlin,2025-07-14,27.8
Rome,2025-07-14,35.1
Vienna,2025-07-14,30.6
Warsaw,2025-07-14,26.3
Prague,2025-07-14,28.9
Athens,2025-07-14,37.4
Seville,2025-07-14,41.3
Dublin,2025-07-14,19.7
London,2025-07-14,24.1
Amsterdam,2025-07-14,23.5
Brussels,2025-07-14,25.0
Copenhagen,2025-07-14,21.9
Stockholm,2025-07-14,22.4
Oslo,2025-07-14,20.8
Helsinki,2025-07-14,21.1
Budapest,2025-07-14,34.2
Bucharest,2025-07-14,36.0"""

_PRODUCTS_JSON = """\
[
  {"sku": "KB-101", "name": "Mechanical keyboard", "price": 129.0, "stock": 42},
  {"sku": "MS-220", "name": "Wireless mouse", "price": 39.5, "stock": 130},
  {"sku": "MN-270", "name": "27-inch monitor", "price": 329.0, "stock": 17},
  {"sku": "HD-050", "name": "USB-C hub", "price": 49.9, "stock": 88},
  {"sku": "CM-900", "name": "Webcam 1080p", "price": 69.0, "stock": 0},
  {"sku": "HS-330", "name": "Headset", "price": 89.0, "stock": 25},
  {"sku": "DK-010", "name": "Standing desk", "price": 499.0, "stock": 6},
  {"sku": "CH-777", "name": "Office chair", "price": 289.0, "stock": 11},
  {"sku": "LP-015", "name": "Laptop stand", "price": 34.0, "stock": 64},
  {"sku": "CB-002", "name": "USB-C cable 2m", "price": 12.0, "stock": 410}
]"""

_PANDAS_PIPELINE = """\
trades = pd.read_csv("trades_2025.csv")          # 80M rows: ts, account, symbol, side, qty, price
trades["ts"] = pd.to_datetime(trades["ts"])
trades["notional"] = trades.apply(lambda r: r.qty * r.price * (1 if r.side == "B" else -1), axis=1)
out = []
for account, g in trades.groupby("account"):
    g = g.sort_values("ts")
    pos = 0
    for _, r in g.iterrows():
        pos += r.qty if r.side == "B" else -r.qty
        out.append((account, r.ts, r.symbol, pos))
positions = pd.DataFrame(out, columns=["account", "ts", "symbol", "position"])
daily = positions.merge(trades, on=["account", "ts", "symbol"]).groupby(
    [pd.Grouper(key="ts", freq="D"), "account"]).agg({"notional": "sum", "position": "last"})"""

DATA = [
    pair(
        "data-01", "data",
        "How many data rows does this CSV have?\n\nname,age\nalice,30\nbob,25\ncarol,41",
        "Design a star schema for our clickstream and orders data and write the dbt models for sessionization "
        "with 30-minute inactivity windows. Events arrive up to 48 hours late and sessions can span midnight, "
        "so the models must be incremental without double-counting; include the tests you would add.",
    ),
    pair(
        "data-02", "data",
        agent_request("data", [], "How many rows are in core.orders?"),
        agent_request("data", [], "Build a monthly cohort retention table by signup month for 2025 (12 monthly "
                      "buckets), counting users who churn and come back as retained in the month they return. "
                      "Then explain the dip in the March cohort: check whether it is real or an artifact of late "
                      "events or the plan change we shipped that month."),
    ),
    pair(
        "data-03", "data",
        agent_request("data", _REVENUE_HISTORY, "Great, thanks! Can you reformat that table as a markdown table "
                      "with the columns in the order day, gross_usd, orders? I want to paste it into the weekly "
                      "update doc for the leadership team. Keep it sorted by day ascending and use thousands "
                      "separators for the dollar amounts, no decimals. No need to rerun anything."),
        agent_request("data", _REVENUE_HISTORY, "finance.revenue_daily is 4% higher for the same week. Reconcile."),
    ),
    pair(
        "data-04", "data",
        "Convert this JSON to CSV: [{\"id\": 1, \"name\": \"alpha\"}, {\"id\": 2, \"name\": \"beta\"}]",
        "From a table subscription_events(account_id, event, plan, mrr_cents, occurred_at) with events "
        "subscribe, upgrade, downgrade, cancel and reactivate, write PostgreSQL that computes monthly MRR "
        "movements (new, expansion, contraction, churn, reactivation) such that the movements reconcile "
        "exactly with the month-over-month change in total MRR, including accounts with several events in "
        "one month. Explain how you handle each edge case.",
    ),
    pair(
        "data-05", "data",
        "Sort these names by last name:\n\n" + _ROSTER,
        "Our A/B test shows +3% conversion at p = 0.04, but we checked it daily for three weeks and stopped when "
        "it crossed 0.05. Is the result valid? What should we have done?",
    ),
    pair(
        "data-06", "data",
        "What's the pandas one-liner to rename the column cust_id to customer_id in a DataFrame df?",
        "This pandas pipeline over 80M rows of trades takes 40 minutes and 60 GB of RAM:\n\n```python\n"
        + _PANDAS_PIPELINE + "\n```\n\nRewrite it to run in under 5 minutes on a 16 GB laptop (polars or "
        "DuckDB are fine), keep the results identical, and point out the correctness bug in the merge.",
    ),
    pair(
        "data-07", "data",
        "Which city had the highest temperature in this CSV?\n\n```\n" + _CITY_TEMPS + "\n```",
        "How would you deduplicate 200M customer records across three CRMs that share no key?",
    ),
    pair(
        "data-08", "data",
        "What does COUNT(*) do in SQL?",
        "Our nightly Spark job joins events (3 TB/day) with users (40M rows) and spends 80% of its time in one "
        "stage where 4 of 2,000 tasks run for over an hour while the rest finish in two minutes. Stage stats: "
        "shuffle read per task median 180 MB, max 71 GB; the top join key is user_id = 0 (anonymous events, "
        "31% of rows), then a handful of bot accounts. AQE is on with default skew settings, and broadcasting "
        "users fails with an OOM on the driver. Diagnose and fix it, with the Spark config and code changes.",
    ),
    pair(
        "data-09", "data",
        "How many products are in this list?\n\n```json\n" + _PRODUCTS_JSON + "\n```",
        "Design a feature store schema that yields point-in-time-correct training data without leakage.",
    ),
]

PAIRS = [*CODE, *OPS, *MATH, *PROSE, *CHAT, *DATA]
