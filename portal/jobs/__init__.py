"""Background jobs: a record per job in the database, run inline or by RQ workers on Redis.

Areas register kinds (`portal.jobs.registry.job_kind`) and queue them with
`portal.jobs.services.enqueue`; `templates/jobs/_progress.html` shows a job's state and
progress bar. See docs/jobs.md.
"""
