"""The web service: ``create_app(settings)`` builds the FastAPI application."""

from veille.web.app import create_app

__all__ = ["create_app"]
