"""`python -m app.cli`: the same command as `autocompeter`."""

import sys

from app.cli import main

sys.exit(main())
