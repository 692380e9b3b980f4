"""Use cases of the merchant server: ``core`` rules + ``store`` persistence (+ i'mport).

Each service module takes its collaborators (database, clock, registrar…) as
constructor arguments; ``bootstrap`` wires the real ones. Import the modules
directly (``paydesk.services.confirm``); this package re-exports nothing.
"""

__all__: list[str] = []
