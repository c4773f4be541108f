"""Conversations the smoke prompts share: earlier turns with tool calls and their results.

A pair's two sides (and some typed prompts) continue the same conversation, so only the latest
user turn differs between them.
"""

from __future__ import annotations

from bench.smoke.agents import assistant, call, result, user

TEST_RUN = [
    user("run the test suite"),
    call("call_1", "Bash", command="make test", description="Run the Python test suite"),
    result("call_1", """\
pytest -q
........................................................................ [ 41%]
...................................F.................................... [ 83%]
.............................                                            [100%]
=================================== FAILURES ===================================
________________________ test_concurrent_settlements ___________________________

    async def test_concurrent_settlements(ledger, accounts):
        src, dst = accounts
        await asyncio.gather(*(ledger.settle(src, dst, 500) for _ in range(20)))
>       assert await ledger.balance(src) + await ledger.balance(dst) == 0
E       assert -1500 == 0

tests/test_ledger.py:88: AssertionError
=========================== short test summary info ============================
FAILED tests/test_ledger.py::test_concurrent_settlements - assert -1500 == 0
1 failed, 172 passed in 14.21s
make: *** [Makefile:12: test] Error 1"""),
    assistant("1 test failed: `tests/test_ledger.py:88` `test_concurrent_settlements` — the two balances sum "
              "to -1500 instead of 0 after 20 concurrent settlements. The other 172 passed."),
]

POOL_GO = """\
     1	package worker
     2
     3	import (
     4		"context"
     5		"sync"
     6
     7		"github.com/acme/payments-api/tools/ledgerctl/ledger"
     8	)
     9
    10	// Pool replays ledger batches with a fixed number of workers.
    11	type Pool struct {
    12		jobs    chan ledger.Batch
    13		results chan error
    14		wg      sync.WaitGroup
    15	}
    16
    17	func NewPool(ctx context.Context, n int, replay func(context.Context, ledger.Batch) error) *Pool {
    18		p := &Pool{jobs: make(chan ledger.Batch), results: make(chan error)}
    19		for i := 0; i < n; i++ {
    20			p.wg.Add(1)
    21			go func() {
    22				defer p.wg.Done()
    23				for b := range p.jobs {
    24					p.results <- replay(ctx, b)
    25				}
    26			}()
    27		}
    28		return p
    29	}
    30
    31	func (p *Pool) Submit(b ledger.Batch) { p.jobs <- b }
    32
    33	func (p *Pool) Results() <-chan error { return p.results }
    34
    35	func (p *Pool) Stop() {
    36		close(p.jobs)
    37		p.wg.Wait()
    38		close(p.results)
    39	}"""

POOL_READ = [
    user("open tools/ledgerctl/worker/pool.go"),
    call("call_7", "Read", file_path="/home/dana/src/payments-api/tools/ledgerctl/worker/pool.go"),
    result("call_7", POOL_GO),
]

OOM_HISTORY = [
    user("get the checkout pods on prod-us-1 and describe one that restarted"),
    call("call_a", "kubectl", args="--context prod-us-1 -n checkout get pods -l app=checkout-api"),
    result("call_a", """\
NAME                            READY   STATUS             RESTARTS      AGE
checkout-api-7d9f8b6c5d-2kqwz   1/1     Running            3 (41m ago)   2d
checkout-api-7d9f8b6c5d-8xv4n   1/1     Running            0             2d
checkout-api-7d9f8b6c5d-c7m2p   0/1     CrashLoopBackOff   5 (2m ago)    2d
checkout-api-7d9f8b6c5d-fh9ld   1/1     Running            2 (43m ago)   2d
checkout-api-7d9f8b6c5d-q4r8t   1/1     Running            0             2d
checkout-api-7d9f8b6c5d-zz5wk   1/1     Running            4 (40m ago)   2d"""),
    call("call_b", "kubectl", args="--context prod-us-1 -n checkout describe pod checkout-api-7d9f8b6c5d-c7m2p"),
    result("call_b", """\
Containers:
  api:
    Image:          registry.acme.io/checkout-api:2025.11.3
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Wed, 26 Nov 2025 13:58:02 +0000
      Finished:     Wed, 26 Nov 2025 14:01:47 +0000
    Limits:
      cpu:     2
      memory:  2Gi
    Requests:
      cpu:      1
      memory:   1Gi
    Environment:
      JAVA_TOOL_OPTIONS:  -XX:MaxRAMPercentage=75 -XX:+UseG1GC
Events:
  Type     Reason     Age                From     Message
  ----     ------     ----               ----     -------
  Warning  BackOff    2m (x21 over 44m)  kubelet  Back-off restarting failed container api"""),
]
