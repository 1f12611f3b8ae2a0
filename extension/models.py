"""Every model module, imported once so that the metadata (and Alembic) sees all tables."""
from extension.accounts.models import Account
from extension.admin.jobs import JobRun
from extension.auth.models import WebSession
from extension.dashboard.models import WizardDraft
from extension.health.models import OrganisationCheck
from extension.jobs.models import Job, Schedule
from extension.links.models import PersonalLink
from extension.locks import Lock
from extension.networks.models import (Commitment, EngineRun, KnowledgeTask, LaunchStep, Meeting, Membership,
                                       Network, Phase)
from extension.organisations.models import Organisation
from extension.sync.models import SyncCollection

__all__ = ["Account", "Commitment", "EngineRun", "Job", "JobRun", "KnowledgeTask", "LaunchStep", "Lock", "Meeting",
           "Membership", "Network", "Organisation", "OrganisationCheck", "PersonalLink", "Phase", "Schedule",
           "SyncCollection", "WebSession", "WizardDraft"]
