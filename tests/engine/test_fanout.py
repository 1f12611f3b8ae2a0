"""The fan-out's order: what heads the longest chain of work goes first when an instance's limit is reached."""
from __future__ import annotations

from dataclasses import dataclass

from extension.engine.fanout import walk


@dataclass(frozen=True)
class Item:
    key: str
    after: tuple[str, ...] = ()
    requests: int = 1
    instance: str = "cloud.example"


def _order(items, limit=1):
    sent: list[str] = []
    outcomes = walk(items, lambda item: sent.append(item.key), limit=limit, after=lambda item: item.after,
                    weight=lambda item: item.requests)
    assert all(outcome.ok for outcome in outcomes.values())
    return sent


def test_the_head_of_the_longest_chain_is_sent_before_items_nothing_waits_on():
    items = [Item("meeting-1"), Item("meeting-2"), Item("folder"), Item("subfolder", ("folder",)),
             Item("document", ("subfolder",))]
    assert _order(items) == ["folder", "subfolder", "meeting-1", "meeting-2", "document"]


def test_a_chain_is_weighed_by_its_requests_not_by_its_steps():
    items = [Item("two-small", ()), Item("after-small", ("two-small",)),
             Item("one-heavy", (), requests=3)]
    assert _order(items)[0] == "one-heavy"


def test_items_of_equal_weight_keep_the_plan_order_and_each_instance_has_its_own_limit():
    items = [Item("a1"), Item("a2"), Item("b1", instance="other.example"), Item("b2", instance="other.example")]
    assert sorted(_order(items, limit=1)) == ["a1", "a2", "b1", "b2"]
    assert [k for k in _order(items, limit=1) if k.startswith("a")] == ["a1", "a2"]
