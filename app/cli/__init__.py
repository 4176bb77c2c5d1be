"""The `autocompeter` command (`app/cli/main.py` and one module per command group).

Only `main` is exported: `autocompeter = "app.cli:main"` in pyproject.toml, and
`python -m app.cli` runs `__main__.py`. Nothing else imports this package.
"""

from app.cli.main import main

__all__ = ["main"]
