"""The worker (``paydesk worker``): background jobs claimed from the jobs table.

``runner`` claims and runs jobs (and lets the web app run one it just
enqueued), ``handlers`` maps each job kind to its service, ``worker`` is the
loop with its periodic sweep and clean stop. What each kind does is listed in
``paydesk.services.job_kinds``: processing stored webhooks, re-verifying
payments i'mport could not be asked about, resolving stock holds without an
outcome, and making owed refunds with reconciliation.
"""

__all__: list[str] = []
