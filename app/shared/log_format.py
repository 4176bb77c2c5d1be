"""Log lines as JSON objects, one a line, for log collectors (LOG_FORMAT=json).

Shared because two writers use it: the service's access log and its own loggers
(app/http/access_log.py), and `autocompeter serve`'s start-up messages, which must be
JSON too when a collector reads them.
"""

import logging

import orjson


class JsonFormatter(logging.Formatter):
    """A JSON object per line, for log collectors."""

    FIELDS = ("method", "path", "status", "ms", "request_id")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in self.FIELDS
                      if hasattr(record, name)})
        if record.exc_info and record.exc_info[0] is not None:
            # Sanic calls logger.exception() outside of any exception too.
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()
