"""The SQLite schema, as an ordered list of migrations. Each entry moves the schema one version up.

Money is INTEGER micro-dollars; times are REAL Unix seconds (UTC). A migration is never edited
once shipped: add a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: everything the foundation and the later issues fill.
    """
    CREATE TABLE teams (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        created_at  REAL NOT NULL
    );
    CREATE TABLE developers (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        os_user     TEXT UNIQUE,
        team_id     INTEGER REFERENCES teams(id) ON DELETE SET NULL,
        is_admin    INTEGER NOT NULL DEFAULT 0,
        created_at  REAL NOT NULL
    );
    CREATE TABLE developer_keys (
        id            INTEGER PRIMARY KEY,
        developer_id  INTEGER NOT NULL REFERENCES developers(id) ON DELETE CASCADE,
        key_hash      TEXT NOT NULL UNIQUE,
        prefix        TEXT NOT NULL,
        created_at    REAL NOT NULL,
        revoked_at    REAL
    );
    CREATE TABLE budgets (
        id                       INTEGER PRIMARY KEY,
        scope                    TEXT NOT NULL CHECK (scope IN ('developer', 'team', 'eval')),
        scope_id                 INTEGER NOT NULL,
        period                   TEXT NOT NULL CHECK (period IN ('day', 'week', 'month')),
        limit_micros             INTEGER NOT NULL CHECK (limit_micros >= 0),
        soft_threshold           REAL,
        critical_only_threshold  REAL,
        updated_at               REAL NOT NULL,
        UNIQUE (scope, scope_id)
    );
    CREATE TABLE ledger (
        id               INTEGER PRIMARY KEY,
        trace_id         TEXT NOT NULL,
        budget_id        INTEGER NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
        period_start     REAL NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('open', 'settled', 'released')),
        reserved_micros  INTEGER NOT NULL,
        settled_micros   INTEGER NOT NULL DEFAULT 0,
        created_at       REAL NOT NULL,
        closed_at        REAL,
        UNIQUE (trace_id, budget_id)
    );
    CREATE INDEX ledger_budget_period ON ledger (budget_id, period_start, status);
    CREATE INDEX ledger_open ON ledger (status) WHERE status = 'open';
    CREATE TABLE traces (
        id                TEXT PRIMARY KEY,
        developer_id      INTEGER NOT NULL REFERENCES developers(id),
        surface           TEXT NOT NULL,
        created_at        REAL NOT NULL,
        outcome           TEXT NOT NULL,
        latency_ms        REAL NOT NULL,
        requested_model   TEXT,
        chosen_model      TEXT,
        answered_model    TEXT,
        task_type         TEXT,
        complexity        REAL,
        policy            TEXT,
        matrix_version    INTEGER,
        reason            TEXT,
        decision_json     TEXT,
        ttft_ms           REAL,
        input_tokens      INTEGER NOT NULL DEFAULT 0,
        output_tokens     INTEGER NOT NULL DEFAULT 0,
        cached_tokens     INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens  INTEGER NOT NULL DEFAULT 0,
        cost_micros       INTEGER NOT NULL DEFAULT 0,
        error_code        TEXT,
        error_message     TEXT,
        prompt            TEXT,
        prompt_hash       TEXT,
        prompt_chars      INTEGER NOT NULL DEFAULT 0,
        answer            TEXT,
        answer_hash       TEXT,
        answer_chars      INTEGER NOT NULL DEFAULT 0,
        guard_json        TEXT,
        fallback_used     INTEGER NOT NULL DEFAULT 0,
        escalated         INTEGER NOT NULL DEFAULT 0,
        host              TEXT
    );
    CREATE INDEX traces_dev_time ON traces (developer_id, created_at);
    CREATE INDEX traces_time ON traces (created_at);
    CREATE TABLE attempts (
        trace_id       TEXT NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        seq            INTEGER NOT NULL,
        model          TEXT NOT NULL,
        status         TEXT NOT NULL,
        started_at     REAL NOT NULL,
        latency_ms     REAL NOT NULL,
        ttft_ms        REAL,
        error_code     TEXT,
        error_message  TEXT,
        http_status    INTEGER,
        input_tokens   INTEGER NOT NULL DEFAULT 0,
        output_tokens  INTEGER NOT NULL DEFAULT 0,
        cost_micros    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (trace_id, seq)
    );
    CREATE TABLE matrix_versions (
        version     INTEGER PRIMARY KEY,
        created_at  REAL NOT NULL,
        source      TEXT NOT NULL,
        note        TEXT
    );
    CREATE TABLE matrix_cells (
        task_type       TEXT NOT NULL,
        band            INTEGER NOT NULL,
        model           TEXT NOT NULL,
        quality         REAL NOT NULL,
        evidence        REAL NOT NULL,
        latency_p50_ms  REAL,
        latency_p95_ms  REAL,
        mean_cost_usd   REAL,
        updated_at      REAL NOT NULL,
        version         INTEGER NOT NULL REFERENCES matrix_versions(version),
        PRIMARY KEY (task_type, band, model)
    );
    CREATE TABLE feedback (
        id            INTEGER PRIMARY KEY,
        trace_id      TEXT NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        developer_id  INTEGER REFERENCES developers(id),
        source        TEXT NOT NULL,
        score         REAL NOT NULL CHECK (score >= 0 AND score <= 1),
        comment       TEXT,
        created_at    REAL NOT NULL
    );
    CREATE INDEX feedback_trace ON feedback (trace_id);
    CREATE TABLE review_queue (
        id            INTEGER PRIMARY KEY,
        trace_id      TEXT NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        developer_id  INTEGER NOT NULL REFERENCES developers(id),
        status        TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
        answers_json  TEXT NOT NULL,
        chosen_index  INTEGER,
        created_at    REAL NOT NULL,
        resolved_at   REAL
    );
    CREATE INDEX review_open ON review_queue (status, created_at);
    """,
    # 2: running totals per budget period, kept by triggers on the ledger, so a reservation reads one
    # row instead of summing every ledger row of the period (28 ms at 50,000 rows, under the write lock).
    """
    CREATE TABLE budget_usage (
        budget_id        INTEGER NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
        period_start     REAL NOT NULL,
        settled_micros   INTEGER NOT NULL DEFAULT 0,
        reserved_micros  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (budget_id, period_start)
    );
    INSERT INTO budget_usage (budget_id, period_start, settled_micros, reserved_micros)
        SELECT budget_id, period_start,
               COALESCE(SUM(CASE WHEN status = 'settled' THEN settled_micros END), 0),
               COALESCE(SUM(CASE WHEN status = 'open' THEN reserved_micros END), 0)
        FROM ledger GROUP BY budget_id, period_start;
    CREATE TRIGGER ledger_usage_insert AFTER INSERT ON ledger BEGIN
        INSERT INTO budget_usage (budget_id, period_start, settled_micros, reserved_micros)
        VALUES (NEW.budget_id, NEW.period_start,
                CASE WHEN NEW.status = 'settled' THEN NEW.settled_micros ELSE 0 END,
                CASE WHEN NEW.status = 'open' THEN NEW.reserved_micros ELSE 0 END)
        ON CONFLICT (budget_id, period_start) DO UPDATE SET
            settled_micros = settled_micros + excluded.settled_micros,
            reserved_micros = reserved_micros + excluded.reserved_micros;
    END;
    CREATE TRIGGER ledger_usage_update AFTER UPDATE OF status, settled_micros, reserved_micros ON ledger BEGIN
        UPDATE budget_usage SET
            settled_micros = settled_micros
                - CASE WHEN OLD.status = 'settled' THEN OLD.settled_micros ELSE 0 END
                + CASE WHEN NEW.status = 'settled' THEN NEW.settled_micros ELSE 0 END,
            reserved_micros = reserved_micros
                - CASE WHEN OLD.status = 'open' THEN OLD.reserved_micros ELSE 0 END
                + CASE WHEN NEW.status = 'open' THEN NEW.reserved_micros ELSE 0 END
        WHERE budget_id = NEW.budget_id AND period_start = NEW.period_start;
    END;
    CREATE TRIGGER ledger_usage_delete AFTER DELETE ON ledger BEGIN
        UPDATE budget_usage SET
            settled_micros = settled_micros - CASE WHEN OLD.status = 'settled' THEN OLD.settled_micros ELSE 0 END,
            reserved_micros = reserved_micros - CASE WHEN OLD.status = 'open' THEN OLD.reserved_micros ELSE 0 END
        WHERE budget_id = OLD.budget_id AND period_start = OLD.period_start;
    END;
    """,
    # 3: learning from outcomes. A trace keeps its ask's memory vector (64 float16: 128 bytes) and
    # difficulty, so a quality signal arriving later becomes an outcome; outcomes outlive their traces
    # (no foreign key: retention deletes traces, the router keeps what it learned) and are bounded by
    # count instead ([learning] max_outcomes).
    """
    ALTER TABLE traces ADD COLUMN embedding BLOB;
    ALTER TABLE traces ADD COLUMN difficulty REAL;
    CREATE TABLE outcomes (
        id          INTEGER PRIMARY KEY,
        trace_id    TEXT,
        model       TEXT NOT NULL,
        quality     REAL NOT NULL CHECK (quality >= 0 AND quality <= 1),
        weight      REAL NOT NULL CHECK (weight > 0),
        source      TEXT NOT NULL,
        task_type   TEXT NOT NULL,
        difficulty  REAL NOT NULL,
        embedding   BLOB NOT NULL,
        created_at  REAL NOT NULL
    );
    CREATE INDEX outcomes_trace ON outcomes (trace_id);
    """,
    # 4: the store's own bookmarks. ``lost_traces_checked``: the latest ledger settlement whose trace
    # the start-up check has already looked for, so a restart writes a stub trace for a lost trace
    # once, never again for a trace retention deleted since (103 stubs re-created per restart before).
    """
    CREATE TABLE store_marks (
        name   TEXT PRIMARY KEY,
        value  REAL NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
