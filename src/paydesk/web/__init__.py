"""The merchant server's HTTP surface (FastAPI): our API, and the endpoints i'mport calls.

``paydesk.web.app.create_app`` builds the application from its collaborators.
"""

__all__: list[str] = []
