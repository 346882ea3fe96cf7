"""Marginalia: a headless CMS with moderated comments, pingbacks and webhooks."""

from api.app import create_app

__all__ = ["create_app"]
