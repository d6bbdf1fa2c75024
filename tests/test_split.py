from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from curate.records import Record, Source
from curate.split import side


def records(n: int) -> list[Record]:
    return [Record.create(Source("t", "f", f"line {i}"), text=f"record number {i}") for i in range(n)]


def test_same_record_same_side_whatever_the_order():
    recs = records(500)
    first = {r.id: side(r, val_ratio=0.1, seed=3) for r in recs}
    second = {r.id: side(r, val_ratio=0.1, seed=3) for r in reversed(recs)}
    assert first == second


def test_ratio_is_respected_roughly():
    recs = records(5000)
    val = sum(side(r, val_ratio=0.1, seed=0) == "val" for r in recs)
    assert 400 < val < 600


def test_seed_changes_the_split():
    recs = records(500)
    a = [side(r, val_ratio=0.2, seed=0) for r in recs]
    b = [side(r, val_ratio=0.2, seed=1) for r in recs]
    assert a != b


def test_groups_stay_on_one_side():
    recs = records(300)
    for i, r in enumerate(recs):
        r.meta["group"] = f"g{i % 7}"
    sides: dict[str, set[str]] = {}
    for r in recs:
        sides.setdefault(r.meta["group"], set()).add(side(r, val_ratio=0.3, seed=0))
    assert all(len(s) == 1 for s in sides.values())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=30), st.integers(0, 2**31))
def test_side_depends_only_on_content(texts, seed):
    a = [Record.create(Source("t", "f", f"l{i}"), text=t) for i, t in enumerate(texts)]
    b = [Record.create(Source("t", "g", f"x{i}"), text=t) for i, t in enumerate(texts)]
    assert [side(r, val_ratio=0.5, seed=seed) for r in a] == [side(r, val_ratio=0.5, seed=seed) for r in b]
