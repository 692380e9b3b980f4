"""Building the emulator app from the emulator package alone (no server modules).

``paydesk[emulator]`` has no FastAPI or SQLAlchemy, so the ``paydesk emulator``
command must not import the server to build its app; ``bootstrap`` re-exports
this function.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from .emulator import DEFAULT_MERCHANTS, Gateway, create_app, load_merchants, load_state

__all__ = ["build_emulator"]


def build_emulator(
    *,
    state_file: Path | None = None,
    merchants_file: Path | None = None,
    public_url: str = "http://127.0.0.1:8099",
    seed: int | None = None,
) -> Starlette:
    """The emulator app: in-memory state, or ``state_file`` kept across restarts."""
    merchants = load_merchants(merchants_file) if merchants_file else list(DEFAULT_MERCHANTS)
    state = load_state(state_file) if state_file else None
    gateway = Gateway(
        [m.model_copy(deep=True) for m in merchants],
        state=state,
        state_path=state_file,
        public_url=public_url,
    )
    return create_app(gateway, seed=seed)
