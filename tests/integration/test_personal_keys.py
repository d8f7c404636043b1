"""The personal-data keeper: AES-GCM per person, refused on tampering or the wrong key, erasable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from commonfund.personal_data import KeysUnreadable, PersonalKeys
from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.personal import ERASED, person_of, shown
from tests.plugins.builders import key

ALICE, BOB = key("person-alice"), key("person-bob")
ANOTHER_SECRET = "another-deployment"  # noqa: S105 - a test secret
NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.fixture
def keys(settings: Settings) -> Iterator[PersonalKeys]:
    keeper = personal_keys(settings)
    yield keeper
    keeper.close()


def other(settings: Settings, **changes: object) -> PersonalKeys:
    return personal_keys(settings.model_copy(update=changes))


def test_a_sealed_name_reveals_only_through_its_persons_key(keys: PersonalKeys) -> None:
    sealed = keys.seal(ALICE, "王建国")
    assert sealed.startswith(f"pd1:{ALICE}:")
    assert "王建国" not in sealed
    assert person_of(sealed) == ALICE
    assert keys.reveal(sealed) == "王建国"
    assert keys.seal(ALICE, "王建国") != sealed  # a fresh nonce every time


def test_a_tampered_seal_is_refused(keys: PersonalKeys) -> None:
    sealed = keys.seal(ALICE, "王建国")
    body = sealed.rsplit(":", 1)[1]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    assert keys.reveal(sealed.replace(body, flipped)) is None
    assert keys.reveal(sealed[:-4]) is None  # cut short


def test_another_persons_key_is_refused(keys: PersonalKeys) -> None:
    keys.seal(BOB, "李四")  # Bob has a key of his own
    sealed = keys.seal(ALICE, "王建国")
    assert keys.reveal(sealed.replace(ALICE, BOB)) is None  # the person is bound to the seal


def test_a_keeper_with_another_deployment_secret_cannot_open_the_keys(
    keys: PersonalKeys, settings: Settings
) -> None:
    sealed = keys.seal(ALICE, "王建国")
    stranger = other(settings, identity_secret=ANOTHER_SECRET)
    try:
        with pytest.raises(KeysUnreadable):
            stranger.reveal(sealed)
    finally:
        stranger.close()


def test_an_erased_person_is_unreadable_and_a_second_erasure_destroys_nothing(
    keys: PersonalKeys,
) -> None:
    sealed = keys.seal(ALICE, "王建国")
    kept = keys.seal(BOB, "李四")
    assert keys.erase(ALICE, now=NOW) is True
    assert keys.reveal(sealed) is None
    assert shown(keys, sealed) == ERASED
    assert keys.reveal(kept) == "李四"  # nobody else's
    assert keys.erase(ALICE, now=NOW) is False
    assert keys.erased_at(ALICE) is not None


def test_a_person_named_again_after_erasure_gets_a_new_key_and_the_old_stays_erased(
    keys: PersonalKeys,
) -> None:
    old = keys.seal(ALICE, "王建国")
    keys.erase(ALICE, now=NOW)
    new = keys.seal(ALICE, "王建国")
    assert keys.reveal(new) == "王建国"
    assert keys.reveal(old) is None
    assert keys.erased_at(ALICE) is None


def test_keepers_sealing_for_a_new_person_at_once_agree_on_one_key(settings: Settings) -> None:
    keepers = [other(settings) for _ in range(6)]
    sealed: list[str] = []
    start = threading.Barrier(len(keepers))

    def seal(keeper: PersonalKeys, n: int) -> None:
        start.wait()
        sealed.append(keeper.seal(ALICE, f"名{n}"))

    try:
        threads = [threading.Thread(target=seal, args=(k, n)) for n, k in enumerate(keepers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(sealed) == len(keepers)
        for keeper in keepers:
            assert sorted(keeper.reveal(s) or "" for s in sealed) == sorted(
                f"名{n}" for n in range(len(keepers))
            )
    finally:
        for keeper in keepers:
            keeper.close()


def test_an_erasure_reaches_another_process_once_its_cache_expires(settings: Settings) -> None:
    writer, reader = other(settings), other(settings, personal_key_cache_seconds=0.0)
    try:
        sealed = writer.seal(ALICE, "王建国")
        assert reader.reveal(sealed) == "王建国"
        writer.erase(ALICE, now=NOW)
        assert reader.reveal(sealed) is None  # no cache: at once
    finally:
        writer.close()
        reader.close()


def test_pseudonyms_are_keyed_by_the_deployment_secret(
    keys: PersonalKeys, settings: Settings
) -> None:
    stranger = other(settings, identity_secret=ANOTHER_SECRET)
    try:
        assert keys.pseudonym("name", "王建国") == keys.pseudonym("name", "王建国")
        assert keys.pseudonym("name", "王建国") != keys.pseudonym("bank", "王建国")
        assert keys.pseudonym("name", "王建国") != stranger.pseudonym("name", "王建国")
    finally:
        stranger.close()
