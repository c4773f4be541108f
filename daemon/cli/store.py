"""``switchboard store migrate``, ``store team`` and ``store copy``: the team store's admin verbs.

They work on the database directly (no daemon needed), so an admin can prepare the team store
before any daemon points at it, and a developer can move their history into it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def _configured_url(args: argparse.Namespace) -> str:
    from daemon.config import load_settings, user_config_path

    return load_settings(Path(args.config) if args.config else user_config_path()).store.url


def _shown(url: str) -> str:
    from daemon.store.postgres import redacted_url

    return redacted_url(url)


async def cmd_store_migrate(args: argparse.Namespace) -> int:
    """Create or upgrade the store's schema (the one in --url, or the config's [store] url)."""
    from daemon.paths import data_dir
    from daemon.store import open_store

    url = args.url if args.url is not None else _configured_url(args)
    store = open_store(url, data_dir(args.data_dir))
    await store.open()  # opening runs pending migrations, one process at a time
    try:
        version = await store.schema_version()
    finally:
        await store.close()
    where = _shown(url) if url else f"sqlite:///{data_dir(args.data_dir) / 'switchboard.db'}"
    if args.json:
        print(json.dumps({"store": where, "schema_version": version}))
    else:
        print(f"{where}: schema version {version}, up to date")
    return 0


async def cmd_store_copy(args: argparse.Namespace) -> int:
    """Copy a developer's SQLite history into the team's PostgreSQL store (idempotent)."""
    from daemon.errors import InvalidRequestError
    from daemon.paths import data_dir
    from daemon.store.copy import copy_sqlite_to_postgres

    source = args.source or f"sqlite:///{data_dir(args.data_dir) / 'switchboard.db'}"
    target = args.target or _configured_url(args)
    if not target:
        raise InvalidRequestError("store copy needs --to postgresql://USER@HOST:PORT/DB (or [store] url in the config)")
    report = await copy_sqlite_to_postgres(source, target)
    if args.json:
        print(json.dumps({"copied": report.copied, "skipped": report.skipped, "notes": report.notes}))
        return 0
    print(f"copied {source} into {_shown(target)}:")
    for table in sorted(set(report.copied) | set(report.skipped)):
        print(f"  {table:<16} {report.copied.get(table, 0):>7} copied  {report.skipped.get(table, 0):>7} already there")
    for note in report.notes:
        print(f"  note: {note}")
    return 0


async def cmd_store_team(args: argparse.Namespace) -> int:
    """Put developers in a team (created if new), directly in the store: budgets read membership from
    the store on every request, so it applies at once on every daemon."""
    from daemon.errors import NotFoundError
    from daemon.paths import data_dir
    from daemon.store import open_store

    url = args.url if args.url is not None else _configured_url(args)
    store = open_store(url, data_dir(args.data_dir))
    await store.open()
    try:
        try:
            team = await store.team_by_name(args.team)
        except NotFoundError:
            team = await store.create_team(args.team)
        members = [await store.developer_by_name(name) for name in args.developers]  # all exist, or nothing changes
        for developer in members:
            await store.set_team(developer.id, team.id)
        names = sorted(d.name for d in await store.list_developers() if d.team_id == team.id)
    finally:
        await store.close()
    if args.json:
        print(json.dumps({"team": team.name, "members": names}))
    else:
        print(f"team {team.name}: {', '.join(names) or 'no members yet'}")
    return 0


def register(verbs: Any) -> None:
    """Add ``store migrate``, ``store team`` and ``store copy`` to the command line."""
    store = verbs.add_parser("store", help="prepare the team store, move history into it")
    actions = store.add_subparsers(dest="store_verb", required=True, metavar="ACTION")

    def action(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data-dir", help="this machine's data dir (default $SWITCHBOARD_DATA_DIR or XDG data dir)")
        p.add_argument("--config", help="config file whose [store] url is the default")
        p.add_argument("--json", action="store_true", help="print JSON for machines")
        p.set_defaults(handler=handler)
        return p

    p = action("migrate", cmd_store_migrate, "create or upgrade the store's schema (safe to run any time)")
    p.add_argument("--url", help="postgresql://USER@HOST:PORT/DB or sqlite:///PATH (default: the config's [store] url)")
    p = action("team", cmd_store_team, "put developers in a team (the team is created if new)")
    p.add_argument("team", help="the team's name")
    p.add_argument("developers", nargs="*", metavar="DEVELOPER", help="developers to put in it (by name)")
    p.add_argument("--url", help="the store (default: the config's [store] url)")
    p = action("copy", cmd_store_copy, "copy a SQLite store's history into the team's PostgreSQL store")
    p.add_argument("--from", dest="source", help="sqlite:///PATH (default: this machine's store in the data dir)")
    p.add_argument("--to", dest="target", help="postgresql://USER@HOST:PORT/DB (default: the config's [store] url)")
