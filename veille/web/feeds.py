"""Output feed routes (RSS 2.0, Atom 1.0, JSON Feed 1.1) and OPML — issue 5."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
