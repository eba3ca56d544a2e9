"""Placeholder replaced by the API package."""


def init_app(app):
    pass
