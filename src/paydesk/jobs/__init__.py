"""The worker (``paydesk worker``): background jobs claimed from the jobs table.

Reconciliation of unknown outcomes, re-verification of unverified payments,
resolution of stock holds without an outcome, retries by failure reason.
"""
