"""The one error an operator's mistake raises, wherever it is found.

The command line (`app/cli/main.py`) catches `Refused` once and prints its message
as one line, `autocompeter: ...`, with exit status 2; the importer and the
backends raise subclasses of it without knowing who prints. No Sanic here: the
HTTP service maps its own errors (`app/http/errors.py`).
"""


class Refused(Exception):
    """An operator's mistake: the command prints one line and exits 2.

    The message is that line, without the "autocompeter: " the command puts before it.
    """
