"""Developers, keys and teams behave the same in every store."""

from __future__ import annotations

import asyncio

import pytest

from daemon.errors import InvalidRequestError, NotFoundError
from daemon.store import Store
from tests.daemon.store.conftest import StoreFactory


async def test_created_developer_reads_back_by_id_and_name(store: Store) -> None:
    created = await store.create_developer("ada", os_user="ada", is_admin=True)
    assert await store.get_developer(created.id) == created
    assert await store.developer_by_name("ada") == created
    assert created.is_admin and created.os_user == "ada"
    assert [d.name for d in await store.list_developers()] == ["ada"]


async def test_taken_developer_name_is_refused(store: Store) -> None:
    await store.create_developer("ada")
    with pytest.raises(InvalidRequestError, match="already exists"):
        await store.create_developer("ada")


async def test_unknown_developer_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.get_developer(4242)
    with pytest.raises(NotFoundError, match="dev list"):
        await store.developer_by_name("nobody")


async def test_os_user_becomes_an_admin_developer_once(store: Store) -> None:
    first = await store.developer_for_os_user("grace")
    again = await store.developer_for_os_user("grace")
    assert first == again
    assert first.is_admin and first.name == "grace" and first.os_user == "grace"


async def test_os_user_whose_name_is_taken_gets_a_local_suffix(store: Store) -> None:
    await store.create_developer("grace")
    assert (await store.developer_for_os_user("grace")).name == "grace@local"


async def test_os_user_first_use_from_many_connections_creates_one_developer(open_stores: StoreFactory) -> None:
    stores = [await open_stores() for _ in range(4)]
    developers = await asyncio.gather(*(s.developer_for_os_user("linus") for s in stores))
    assert len({d.id for d in developers}) == 1
    assert len(await stores[0].list_developers()) == 1


async def test_key_hash_finds_its_developer(store: Store) -> None:
    dev = await store.create_developer("ada")
    await store.add_key(dev.id, "hash-1", "sb-ab")
    await store.add_key(dev.id, "hash-2", "sb-cd")
    assert await store.developer_for_key_hash("hash-2") == dev
    assert await store.developer_for_key_hash("unknown") is None
    assert sorted(await store.key_hashes(dev.id)) == ["hash-1", "hash-2"]


async def test_revoked_keys_find_no_developer_and_a_new_key_does(store: Store) -> None:
    dev, other = await store.create_developer("ada"), await store.create_developer("bob")
    await store.add_key(dev.id, "hash-1", "sb-ab")
    await store.add_key(dev.id, "hash-2", "sb-cd")
    await store.add_key(other.id, "hash-3", "sb-ef")
    assert await store.revoke_keys(dev.id) == 2
    assert await store.developer_for_key_hash("hash-1") is None and await store.developer_for_key_hash("hash-2") is None
    assert await store.developer_for_key_hash("hash-3") == other  # only that developer's keys
    assert await store.revoke_keys(dev.id) == 0
    await store.add_key(dev.id, "hash-4", "sb-gh")
    assert await store.developer_for_key_hash("hash-4") == dev


async def test_admin_rights_can_be_granted_and_withdrawn(store: Store) -> None:
    dev = await store.create_developer("ada")
    await store.set_admin(dev.id, True)
    assert (await store.get_developer(dev.id)).is_admin
    await store.set_admin(dev.id, False)
    assert not (await store.get_developer(dev.id)).is_admin


async def test_developer_joins_and_leaves_a_team(store: Store) -> None:
    team = await store.create_team("core")
    assert await store.team_by_name("core") == team
    dev = await store.create_developer("ada")
    await store.set_team(dev.id, team.id)
    assert (await store.get_developer(dev.id)).team_id == team.id
    await store.set_team(dev.id, None)
    assert (await store.get_developer(dev.id)).team_id is None


async def test_taken_team_name_is_refused_and_unknown_team_not_found(store: Store) -> None:
    await store.create_team("core")
    with pytest.raises(InvalidRequestError):
        await store.create_team("core")
    with pytest.raises(NotFoundError):
        await store.team_by_name("edge")
