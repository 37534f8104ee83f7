"""The SmartBrain API: a Flask app factory."""

from __future__ import annotations

from flask import Flask

from backend.config import Config


def create_app(config: Config | None = None) -> Flask:
    """Build the API. `config.redis_url` must be set (the caller starts any embedded server)."""
    from backend import contract, openapi
    from backend.blueprints import auth, health, image, password, profile, sessions, two_step
    from backend.errors import register_error_handlers
    from backend.extensions import db, redis_store, tokens
    from backend.faces import DetectorOnFirstUse
    from backend.http_policy import behind_proxies, init_http_policy
    from backend.ranking import init_ranking
    from backend.rate_limits import init_rate_limits
    from backend.two_step import init_two_step

    config = config or Config()
    if not config.redis_url:
        raise ValueError("SMARTBRAIN_REDIS_URL is not set and no embedded server was started")
    app = Flask(__name__)
    app.config.update(config.app_config())
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = behind_proxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]
    init_http_policy(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db.init_app(app)
    redis_store.init_app(app)
    tokens.init_app(app)
    init_ranking(app)
    init_rate_limits(app)
    init_two_step(app)
    app.extensions["smartbrain.faces"] = DetectorOnFirstUse(app.config["FACE_SETTINGS"])
    register_error_handlers(app)
    blueprints = (
        auth.bp,
        sessions.bp,
        password.bp,
        profile.bp,
        two_step.bp,
        image.bp,
        health.bp,
        openapi.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    contract.bind(app)
    return app
