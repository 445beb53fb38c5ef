"""buurtkaart: where people in poverty lack an accessible place to meet others.

``create_app`` is the application factory; the core modules (taxonomy, store,
importers, exporters, analysis) know nothing of Flask.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["create_app", "resource_dir", "__version__"]
__version__ = "0.1.0"

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The ``templates`` or ``data`` folder, in a wheel or in a source checkout.

    A wheel carries them inside the package (see pyproject's force-include);
    an editable install finds them at the top of the checkout.
    """
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def create_app(config: dict[str, Any] | None = None):
    """Build the Flask application.

    Parameters
    ----------
    config:
        Overrides; ``DATABASE`` is the SQLite file (default
        ``$BUURTKAART_DATABASE`` or a file under the user's data directory).
    """
    from flask import Flask

    from . import store
    from .web import register

    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(_PACKAGE / "static"),
    )
    app.config.from_mapping(
        DATABASE=os.environ.get("BUURTKAART_DATABASE") or str(store.default_database_path()),
        CACHE_DIR=os.environ.get("BUURTKAART_CACHE"),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    if config:
        app.config.from_mapping(config)
    register(app)
    return app
