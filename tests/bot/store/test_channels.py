"""The channel tables: de-duplication, opt-outs, button menus, payloads, failures."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.store.channels import CALLBACK_TOKEN_PREFIX, ChannelStore, callback_token, utcnow


@pytest.fixture
def store(db_url: str) -> ChannelStore:
    return ChannelStore()


def test_a_message_id_is_claimed_once(store: ChannelStore) -> None:
    assert store.claim_message("whatsapp", "SM1")
    assert not store.claim_message("whatsapp", "SM1")
    assert store.claim_message("telegram", "SM1")  # ids are per channel


def test_concurrent_claims_let_exactly_one_in(store: ChannelStore) -> None:
    store.claim_message("whatsapp", "warm-up")  # tables created before the race
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.claim_message("whatsapp", "SM2"), range(8)))
    assert results.count(True) == 1


def test_old_ids_are_forgotten_after_the_ttl(db_url: str) -> None:
    store = ChannelStore(processed_ttl=dt.timedelta(hours=1))
    long_ago = utcnow() - dt.timedelta(hours=2)
    assert store.claim_message("whatsapp", "SM3", now=long_ago)
    assert store.purge_processed() == 1
    assert store.claim_message("whatsapp", "SM3")


def test_opt_out_and_in(store: ChannelStore) -> None:
    assert not store.is_opted_out("whatsapp", "whatsapp:+1")
    assert store.set_opted_out("whatsapp", "whatsapp:+1", True)
    assert not store.set_opted_out("whatsapp", "whatsapp:+1", True)
    assert store.is_opted_out("whatsapp", "whatsapp:+1")
    assert not store.is_opted_out("telegram", "whatsapp:+1")
    assert store.set_opted_out("whatsapp", "whatsapp:+1", False)
    assert not store.is_opted_out("whatsapp", "whatsapp:+1")


def test_buttons_are_replaced_and_cleared(store: ChannelStore) -> None:
    first = [{"title": "Sí", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    store.save_buttons("whatsapp", "c", first)
    assert store.get_buttons("whatsapp", "c") == first
    store.save_buttons("whatsapp", "c", first[:1])
    assert store.get_buttons("whatsapp", "c") == first[:1]
    store.save_buttons("whatsapp", "c", [])
    assert store.get_buttons("whatsapp", "c") == []
    store.save_buttons("whatsapp", "c", [])  # clearing twice is fine


def test_callback_payloads(store: ChannelStore) -> None:
    payload = '/choose_language{"language": "hi_Latn"}' + " " * 60
    token = store.put_callback_payload(payload)
    assert token == callback_token(payload) == store.put_callback_payload(payload)
    assert token.startswith(CALLBACK_TOKEN_PREFIX) and len(token) <= 64
    assert store.get_callback_payload(token) == payload
    assert store.get_callback_payload("~unknown") is None


def test_failures_are_recorded_and_read_back(store: ChannelStore) -> None:
    first = store.record_failure(
        "whatsapp", "whatsapp:+1", {"parts": [{"body": "Habari"}]}, "bad", 1, 400, "21211"
    )
    store.record_failure("telegram", "telegram:2", {"parts": ["x"]}, "down", 4, 502)
    assert [f.id for f in store.failures()] == [first, first + 1]
    [failure] = store.failures("whatsapp")
    assert failure.content == {"parts": [{"body": "Habari"}]}
    assert (failure.status_code, failure.error_code, failure.attempts) == (400, "21211", 1)
    assert store.failures(recipient_id="telegram:2")[0].error == "down"
