"""The app for ASGI servers: `uvicorn app.asgi:app`."""

from app.server import create_app
from app.settings import load_settings

app = create_app(load_settings())
