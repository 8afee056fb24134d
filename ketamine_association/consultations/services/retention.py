"""The purge of requests past their retention (settings CONSULTATION_RETENTION_*)."""


def purge_job(now) -> int:  # to be built: registered as a daily job (apps.py)
    return 0
