"""The one fan-out of Nextcloud requests: a bounded thread pool walking a dependency graph.

Launch, every other plan, drift detection and the checks all go through `walk`: an item runs once every
item it names in `after` has finished well, with at most `limit` items in flight per Nextcloud instance
(each item makes its requests one after another, so that is also the number of requests in flight). The
worker threads only talk HTTP; `started`, `finished` and `settle` are called in the calling thread, which
therefore owns the database (SQLite sees one writer) and any progress display.
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
         started: Callable[[list], None] | None = None,
         finished: Callable[[Any, Outcome], None] | None = None,
         settle: Callable[[], None] | None = None,
         stop: Callable[[], bool] = lambda: False) -> dict[Hashable, Outcome]:
    """Run `run(item)` for every item in dependency order, in parallel; return each item's Outcome by key.

    An item whose prerequisite failed (or was not run) is not run and has no outcome. `finished(item,
    outcome)` is called as each item ends, `started(items)` for the next batch, then `settle()` once per
    round — before the batch is handed to the workers, so a journal committed there knows what is about to
    be sent — and once at the end; `stop()` true ends the walk after the items in flight.
    """
    items = list(items)
    by_key = {key(item): item for item in items}
    waiting = {k: {d for d in after(item) if d in by_key and d != k} for k, item in by_key.items()}
    dependents: dict[Hashable, list] = defaultdict(list)
    for k, needs in waiting.items():
        for need in needs:
            dependents[need].append(k)
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
            batch = []
            if not stop():
                for k in list(ready):
                    item = by_key[k]
                    if in_flight[instance(item)] + sum(1 for b in batch if instance(b) == instance(item)) < limit:
                        batch.append(item)
                        ready.remove(k)
            if batch and started is not None:
                started(batch)
            if settle is not None:
                # One settle per round: what ended in the last round and what is about to start.
                settle()
            if batch:
                for item in batch:
                    in_flight[instance(item)] += 1
                    futures[pool.submit(call, item)] = key(item)
            if not futures:
                break
            done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
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
