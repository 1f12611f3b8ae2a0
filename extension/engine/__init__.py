"""The engine: every write to Nextcloud, as a journaled plan of idempotent steps run in parallel by dependency.

The database holds what should exist; a plan is derived from it (extension.engine.plan), diffed with the
journal (`launch_steps`) and the difference is run (extension.engine.runner) through the one fan-out
(extension.engine.fanout): up to `MAX_PARALLEL_REQUESTS` requests in flight per Nextcloud. Step kinds with
typed parameters and their own execute and verify live in extension.engine.steps; drift detection and
repair in extension.engine.drift and extension.engine.repair. Any run killed at any point is finished by
running it again (`run(app, "resume", slug)` finishes whatever kind was interrupted).

Public API (for jobs, CLI commands and views; call inside an app context):

    from extension import engine
    result = engine.run(app, kind, slug, progress=None, **arguments)

`kind` is one of `engine.RUN_KINDS`: "launch", "resume", "advance", "add-member" (member=NewMember),
"remove-member" (email=...), "catch-up", "repair" (findings=None), "end" (move_folder=bool),
"record-reply" (meeting=<meeting key>, email=..., partstat="ACCEPTED"|"DECLINED"|"TENTATIVE"|
"NEEDS-ACTION"; written as PARTSTAT on the host's event, no invitation is sent) and "record-task-done"
(task=<iCalendar UID>, done=bool; STATUS, PERCENT-COMPLETE and COMPLETED written together). Every run
takes the network's lock (extension.locks.network_lock); a second run at the same time raises
`engine.Busy` (a LaunchError with a Dutch message) before it journals anything. Other refusals raise
LaunchError (or the domain's MemberError / PhaseError), all with a Dutch message.

`progress(step, status)` is called from the calling thread for every step: "running", then "done",
"verified" or "failed"; `step.label` describes the target as a Text, shown in the reader's language ("Map
delen met Eva Smit" in Dutch) and journaled with extension.i18n.dump_text, as are the run's notes.

A progress bar reads the database only: `engine.progress(network_id)` returns the network's latest run
(`engine.progress(network_id, run_id)` that one run) as `RunProgress(run_id, kind, status, done, total,
failed, failed_label, failed_error, notes, message, params)` — `status` is "queued" (a web action waiting for
the worker), "running", "done", "failed" or "interrupted" (recorded as running, but no process holds the
network's lock any more: killed; running it again finishes it); `failed_label` names the first failed
step's target, `failed_error` says why. Each step's journal row (`LaunchStep`: key, kind, label, status,
last_error, run_id) gives the detail. The journal is committed once per batch of steps started or finished,
so the figures move as it runs. A caller that queued a run row itself (the web app) passes a `progress` with
`run_id`: the engine records into that row and leaves ending it (status, `finished_at`, `message`) to the
caller.

`engine.dry_run(app, slug)` gives the launch plan without any request (steps, requests, critical path).
"""
from extension.engine.api import (INTERRUPTED, RUN_KINDS, EndResult, RunProgress, dry_run, plan_launch, progress, run,
                                  template_of, unfinished)
from extension.engine.errors import Busy, LaunchError
from extension.engine.runner import DONE, FAILED, RUNNING, VERIFIED, RunResult

__all__ = ["DONE", "FAILED", "INTERRUPTED", "RUNNING", "RUN_KINDS", "VERIFIED", "Busy", "EndResult", "LaunchError",
           "RunProgress", "RunResult", "dry_run", "plan_launch", "progress", "run", "template_of", "unfinished"]
