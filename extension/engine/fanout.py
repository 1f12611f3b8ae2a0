"""The one fan-out of Nextcloud requests: a bounded thread pool walking a dependency graph.

Launch, every other plan, drift detection and the checks all go through `walk`: an item runs once every
item it names in `after` has finished well, with at most `limit` items in flight per Nextcloud instance
(each item makes its requests one after another, so that is also the number of requests in flight). The
worker threads only talk HTTP; `started`, `finished` and `settle` are called in the calling thread, which
therefore owns the database (SQLite sees one writer) and any progress display.

When more items are ready than an instance's limit allows, the one heading the longest chain of work still
to come goes first (critical-path list scheduling, with `weight` as an item's requests): a folder whose
documents and shares wait on it is not queued behind a meeting nothing depends on, so the chain and the
bulk overlap instead of running one after the other.
"""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def walk(items: Iterable[Any], run: Callable[[Any], Any], *, limit: int = 4,
         key: Callable[[Any], Hashable] = lambda item: item.key,
         instance: Callable[[Any], Hashable] = lambda item: item.instance,
         after: Callable[[Any], Iterable[Hashable]] = lambda item: (),
         weight: Callable[[Any], float] = lambda item: 1,
         started: Callable[[list], None] | None = None,
         finished: Callable[[Any, Outcome], None] | None = None,
         settle: Callable[[], None] | None = None,
         settle_every: float | None = None,
         stop: Callable[[], bool] = lambda: False) -> dict[Hashable, Outcome]:
    """Run `run(item)` for every item in dependency order, in parallel; return each item's Outcome by key.

    An item whose prerequisite failed (or was not run) is not run and has no outcome. `finished(item,
    outcome)` is called as each item ends, `started(items)` for the next batch before it is handed to the
    workers, then `settle()` once per round — after the hand-over, so a journal commit there overlaps the
    requests just sent instead of holding them back (a caller that must record an item before its requests
    go out does so before the walk) — and once at the end; `stop()` true ends the walk after the items in
    flight; with `settle_every` a walk waiting on slow requests also calls `settle()` that often, so that
    what already finished does not wait for them (the journal's open transaction would hold the database).
    """
    items = list(items)
    by_key = {key(item): item for item in items}
    waiting = {k: {d for d in after(item) if d in by_key and d != k} for k, item in by_key.items()}
    dependents: dict[Hashable, list] = defaultdict(list)
    for k, needs in waiting.items():
        for need in needs:
            dependents[need].append(k)
    rank = _ranks(by_key, dependents, weight)
    position = {k: n for n, k in enumerate(by_key)}
    ready = [k for k in by_key if not waiting[k]]
    in_flight: dict[Hashable, int] = defaultdict(int)
    futures: dict[Future, Hashable] = {}
    outcomes: dict[Hashable, Outcome] = {}
    limit = max(1, limit)
    workers = max(1, min(len(items), limit * max(1, len({instance(i) for i in items}))))

    def call(item):
        try:
            return Outcome(run(item))
        except Exception as exc:  # reported as the item's outcome; the walk goes on with the others
            return Outcome(error=exc)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine") as pool:
        while ready or futures:
            batch, waiting_room = [], []
            if not stop():
                # Longest chain still to come first; plan order among equals.
                ready.sort(key=lambda k: (-rank[k], position[k]))
                for k in ready:
                    item = by_key[k]
                    if in_flight[instance(item)] < limit:
                        in_flight[instance(item)] += 1
                        batch.append(item)
                    else:
                        waiting_room.append(k)
                ready = waiting_room
            if batch and started is not None:
                started(batch)
            for item in batch:
                futures[pool.submit(call, item)] = key(item)
            if settle is not None:
                # One settle per round: what ended in the last round, while the new batch is on its way.
                settle()
            if not futures:
                break
            done, _ = wait(list(futures), timeout=settle_every, return_when=FIRST_COMPLETED)
            for future in done:
                k = futures.pop(future)
                item = by_key[k]
                in_flight[instance(item)] -= 1
                outcome = outcomes[k] = future.result()
                if finished is not None:
                    finished(item, outcome)
                if outcome.ok:
                    for dependent in dependents[k]:
                        waiting[dependent].discard(k)
                        if not waiting[dependent]:
                            ready.append(dependent)
    return outcomes


def _ranks(by_key: dict, dependents: dict, weight: Callable[[Any], float]) -> dict[Hashable, float]:
    """Each item's weight plus the heaviest chain of items that wait on it (the graph has no cycles)."""
    rank: dict[Hashable, float] = {}
    for start in by_key:
        # Iterative depth-first: a long chain of folders must not hit the recursion limit.
        stack = [(start, False)]
        while stack:
            k, expanded = stack.pop()
            if k in rank:
                continue
            if not expanded:
                stack.append((k, True))
                stack.extend((d, False) for d in dependents[k] if d not in rank)
                continue
            rank[k] = weight(by_key[k]) + max((rank[d] for d in dependents[k]), default=0)
    return rank
