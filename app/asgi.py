"""The app for ASGI servers: `uvicorn app.asgi:app`."""

from app.http.server import create_app
from app.shared.settings import load_settings

app = create_app(load_settings())
