"""The HTTP service: routes, auth, request models, settings, errors, pages."""
