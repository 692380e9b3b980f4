"""The gateway's own rules: its books and how a payment moves through them.

Everything here is what i'mport itself decides, whichever door a request came
through (REST API, payment window, console, control API): the ``Gateway``
with its merchants, ledgers and clock (``gateway``, ``merchants``, ``state``,
``records``, ``clock``); the refusals it answers with (``errors``, ``params``);
and the rules of charging, refunds, certifications, vbank deposits, scheduled
payments and the PGs' differences (``charging``, ``refunds``, ``certifying``,
``deposits``, ``scheduler``, ``pg_rules``, ``channel_choice``, ``cards``,
``code_tables``).  Nothing here knows HTTP routes or pages.
"""

from .gateway import Gateway

__all__ = ["Gateway"]
