"""What exists of a network, per phase, read from the database only (never a live Nextcloud call)."""
from __future__ import annotations

from collections import Counter

from extension.networks import naming
from extension.networks.models import (STEP_DONE, STEP_FAILED, STEP_PENDING, STEP_RUNNING, TASK_APP_ONLY,
                                       TASK_PENDING, TASK_WRITTEN, LaunchStep)
from extension.networks.service import get_network

STEP_WORDS = {STEP_DONE: "klaar", STEP_RUNNING: "onderbroken", STEP_FAILED: "mislukt", STEP_PENDING: "open"}
TASK_WORDS = {TASK_WRITTEN: "in Nextcloud", TASK_PENDING: "wacht op verbinding", TASK_APP_ONLY: "in de app"}
NETWORK_WORDS = {"draft": "concept", "launching": "wordt gestart", "active": "actief", "completed": "afgerond",
                 "archived": "gearchiveerd"}


def describe(slug: str) -> str:
    """A Dutch overview of the network: its resources, then per phase its steps, meetings and tasks."""
    network = get_network(slug)
    lines = [f"{network.name} ({network.slug}): {NETWORK_WORDS.get(network.status, network.status)}, "
             f"fase {network.current_phase.name if network.current_phase else '-'}",
             f"Gastorganisatie: {network.host_organisation.name}; map "
             f"'{naming.network_folder(network.folder_name)}'; agenda '{network.calendar_uri}'; "
             f"takenlijst '{network.tasklist_uri}'"]
    steps = network.launch_steps
    if not steps:
        lines.append("Nog niet gestart.")
    general = [s for s in steps if s.phase_key is None]
    if general:
        lines.append("Algemeen:")
        lines += [_step_line(s) for s in general]
    for phase in network.phases:
        current = " (huidige fase)" if phase.key == network.current_phase_key else ""
        lines.append(f"Fase {phase.position + 1}. {phase.name}: {phase.starts_on} t/m {phase.ends_on}{current}")
        lines += [_step_line(s) for s in steps if s.phase_key == phase.key and s.kind != "task"]
        unplanned = [m for m in network.meetings if m.phase_id == phase.id
                     and not any(s.kind == "meeting" and s.key.endswith(f"/meeting/{m.key}") for s in steps)]
        lines += [f"  - bijeenkomst '{m.title}' op {m.start:%Y-%m-%d}: nog niet in de agenda" for m in unplanned]
        tasks = [t for t in network.tasks if t.phase_id == phase.id]
        if tasks:
            counts = Counter(TASK_WORDS.get(t.sync_state, t.sync_state) for t in tasks)
            lines.append(f"  Taken: {', '.join(f'{n} {word}' for word, n in sorted(counts.items()))}")
            lines += [f"    - {t.title} — {t.assignee_name} ({t.organisation.name}): "
                      f"{TASK_WORDS.get(t.sync_state, t.sync_state)}, {t.status}" for t in tasks]
    if steps:
        totals = Counter(STEP_WORDS.get(s.status, s.status) for s in steps)
        lines.append("Stappen: " + ", ".join(f"{n} {word}" for word, n in sorted(totals.items())))
    return "\n".join(lines)


def _step_line(step: LaunchStep) -> str:
    word = STEP_WORDS.get(step.status, step.status)
    attempts = f", {step.attempts} pogingen" if step.attempts > 1 else ""
    error = f": {step.last_error}" if step.status == STEP_FAILED and step.last_error else ""
    return f"  [{word}] {step.label}{attempts}{error}"

