"""Settings: every one is documented in the README (datasette's pattern), and validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from veille.settings import Settings

from .conftest import ROOT


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`VEILLE_{name.upper()}`" in readme


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLE_ALLOW_HOSTS", "127.0.0.1:8080, Localhost:9000")
    monkeypatch.setenv("VEILLE_FETCH_TIMEOUT", "3.5")
    settings = Settings()
    assert settings.allowed_hosts == {"127.0.0.1:8080", "localhost:9000"}
    assert settings.fetch_timeout == 3.5


def test_bad_tls_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLE_SMTP_TLS", "tls")
    with pytest.raises(ValidationError):
        Settings()
