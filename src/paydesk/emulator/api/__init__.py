"""Handlers of the emulated REST API, one module per i'mport operation group."""
