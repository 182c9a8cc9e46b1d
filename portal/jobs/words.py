"""What a person reads about a job: its state, the phase it is in, why it failed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATES = {
    "queued": _l("Waiting for a worker"),
    "running": _l("Running"),
    "done": _l("Finished"),
    "failed": _l("Failed"),
}

PHASES = {
    "": _l("Working…"),
    "parsing": _l("Reading the file"),
    "importing": _l("Importing"),
    "planning": _l("Checking the rows"),
    "writing": _l("Writing the register"),
    "counting": _l("Counting"),
    "exporting": _l("Writing the file"),
    "rendering": _l("Laying out the pages"),
    "sending": _l("Sending the messages"),
}

# Why a run failed (Job.error).
ERRORS = {
    "lost": _l("The worker running this job stopped (restarted or shut down) before it "
               "finished. Nothing of it was saved; you can start it again."),
    "database": _l("The database could not be reached during the job. Nothing of it was "
                   "saved; you can start it again."),
    "conflict": _l("The data was changed by someone else during the job. Nothing of it was "
                   "saved; you can start it again."),
    "failed": _l("The job failed. Nothing of it was saved; you can start it again."),
    "gone": _l("The uploaded file is no longer there. Upload it again."),
    "missing": _l("What this job was to work on is no longer there, or no longer yours to "
                  "see. Nothing was written."),
}


def state_text(state: str) -> str:
    return str(STATES.get(state, state))


def phase_text(phase: str) -> str:
    return str(PHASES.get(phase, PHASES[""]))


def error_text(code: str) -> str:
    return str(ERRORS.get(code, ERRORS["failed"]))
