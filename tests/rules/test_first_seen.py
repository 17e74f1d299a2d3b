"""The compact first-seen table behind duplicate-offer-id (ID002)."""

from __future__ import annotations

import random

from feedaudit.rules.identity import FirstSeen, id_key


def test_first_seen_agrees_with_a_dict_through_growth() -> None:
    rng = random.Random(5)
    table = FirstSeen(capacity=4)
    reference: dict[int, int] = {}
    for line in range(1, 20_000):
        key = rng.randrange(1, 2**64) if rng.random() < 0.7 or not reference else rng.choice(list(reference)[-50:])
        expected = reference.get(key)
        if expected is None:
            reference[key] = line
        assert table.first_or_add(key, line) == expected
    assert len(table) == len(reference)


def test_colliding_slots_are_kept_apart() -> None:
    table = FirstSeen(capacity=8)
    keys = [8 * n + 3 for n in range(1, 6)]  # same slot modulo 8
    for line, key in enumerate(keys, start=10):
        assert table.first_or_add(key, line) is None
    assert [table.first_or_add(key, 99) for key in keys] == [10, 11, 12, 13, 14]


def test_id_key_is_stable_and_never_zero() -> None:
    assert id_key("KT-1001") == id_key("KT-1001")
    assert id_key("KT-1001") != id_key("kt-1001")
    assert id_key("") != 0
