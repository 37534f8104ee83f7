"""The WSGI app for any WSGI server; `smartbrain-server` and `main.py serve` run it on Granian.

Under another server the app runs without the request-body deadline Granian's workers add
(backend/body_deadline.py), and slow clients are that server's business.

Configuration comes from the environment; SMARTBRAIN_REDIS_URL must name a Redis server (the
embedded one is for `main.py serve` only). Run `python main.py db upgrade` before starting.
"""

from backend import create_app

app = create_app()
