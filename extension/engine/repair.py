"""Repair: rerun only the launch steps whose resources drifted, and the steps that depend on them.

A recreated folder needs its documents, subfolders and shares again; a recreated calendar or task list its
shares and objects. Steps found gone are redone straight away (the drift check journaled them as `drift`);
their dependents still in the journal as done are verified with reads first, so only what is missing is
written. Everything runs through the engine (plan kind `repair`), journaled, with its progress reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection

from extension.engine.drift import DriftFinding
from extension.engine.plan import Plan, Step
from extension.engine.runner import RunResult


@dataclass
class RepairResult:
    network: str
    findings: list[DriftFinding]
    steps: list[str] = field(default_factory=list)
    launch: RunResult | None = None

    @property
    def unchecked(self) -> list[DriftFinding]:
        return [f for f in self.findings if not f.repairable]

    @property
    def ok(self) -> bool:
        return not self.unchecked and (self.launch is None or self.launch.ok)


def steps_to_repair(plan: Plan, keys: Collection[str]) -> list[str]:
    """`keys` and every step that depends on one of them, in plan order (parents come before children)."""
    chosen = [s for s in plan.steps if s.key in set(keys)]
    for step in plan.steps:
        if step not in chosen and any(_depends(step, parent) for parent in chosen):
            chosen.append(step)
    order = {s.key: n for n, s in enumerate(plan.steps)}
    return sorted((s.key for s in chosen), key=order.__getitem__)


def _depends(step: Step, parent: Step) -> bool:
    """True when `step`'s resource lives in or on `parent`'s (same organisation connection)."""
    if step.organisation_id != parent.organisation_id:
        return False
    if parent.kind == "folder":
        folder = parent.params.path
        path = getattr(step.params, "path", "")
        path = path.lstrip("/") if step.kind == "share" else path
        return step.kind in ("folder", "document", "share") and (path == folder or path.startswith(f"{folder}/"))
    if parent.kind in ("calendar", "tasklist"):
        return step.kind != parent.kind and getattr(step.params, "uri", None) == parent.params.uri
    return False
