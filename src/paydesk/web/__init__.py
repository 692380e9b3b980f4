"""The merchant server's HTTP surface (FastAPI), one subpackage per audience.

| surface | paths | who calls |
|---|---|---|
| ``iamport/`` | ``/iamport/confirm``, ``/iamport/webhook``, ``/iamport/complete`` | i'mport, and the buyer's browser for complete |
| ``api/`` | ``/api/*`` | the merchant's own back end, scripts, the admin console |

``paydesk.web.app.create_app(services, settings)`` mounts them; every router
reads its collaborators from the app (``deps``), so nothing here builds anything.
"""

__all__: list[str] = []
