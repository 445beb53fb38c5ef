"""WSGI entry point for production servers: ``gunicorn 'buurtkaart.wsgi:app'``.

Configuration comes from the environment (``BUURTKAART_DATABASE``,
``BUURTKAART_SECRET_KEY``, ``BUURTKAART_TRUST_PROXY``); see the README.
"""

from . import create_app

app = create_app()
