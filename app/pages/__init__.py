"""The HTML pages the service mounts: the dashboard, the API docs, the OpenAPI document and
the demo."""
