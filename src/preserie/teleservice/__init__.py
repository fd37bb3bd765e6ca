"""The e-prescription teleservice sandbox: a SIMULATION of the national service, not the national service.

The real interface of the Assurance Maladie's e-prescription database is not public. This package stands in for it
so that vendors can rehearse their module (create, consult, search, dispense) before and during a pilot (issue 4).
It is its own FastAPI app, reached only over HTTP: it imports nothing of preserie but the identifier checks.

Build the app with :func:`preserie.teleservice.app.create_app`; nothing is built at import time.
"""
