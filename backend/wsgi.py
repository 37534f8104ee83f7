"""The WSGI entry point for production: `gunicorn backend.wsgi:app`.

Configuration comes from the environment; SMARTBRAIN_REDIS_URL must name a Redis server (the
embedded one is for `main.py serve` only). Run `python main.py db upgrade` before starting.
"""

from backend import create_app

app = create_app()
