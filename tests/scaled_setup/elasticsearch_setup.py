"""The Elasticsearch 9 node for the scaled tests (services/elasticsearch, started by
`make services`, which exports TEST_ELASTICSEARCH_URL).

Without the variable the Elasticsearch copies are skipped locally and fail on CI (env
CI set), as require_services does for PostgreSQL and OpenSearch.
"""

import os

import pytest


def require_elasticsearch() -> str:
    """TEST_ELASTICSEARCH_URL (elasticsearch+http://host:port), or skip (fail on CI)."""
    url = os.environ.get("TEST_ELASTICSEARCH_URL", "")
    if not url:
        message = ("the Elasticsearch setup needs TEST_ELASTICSEARCH_URL: "
                   "run `make services` (or `make test`)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if not url.startswith("elasticsearch+"):
        url = f"elasticsearch+{url}"
    return url
