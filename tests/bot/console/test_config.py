from __future__ import annotations

from bot.console.config import DEFAULT_PUSH_CHANNELS, settings_from_env


def test_settings_from_environment() -> None:
    settings = settings_from_env(
        {
            "MFI_DB_URL": "sqlite:///x.db",
            "MFI_CONSOLE_PORT": "9001",
            "MFI_RASA_URL": "http://rasa:5005",
            "MFI_RASA_TOKEN": "t",
            "MFI_CONSOLE_SECURE_COOKIES": "yes",
            "MFI_CONSOLE_PUSH_CHANNELS": "telegram, whatsapp ,",
        }
    )
    assert (settings.db_url, settings.port, settings.host) == ("sqlite:///x.db", 9001, "127.0.0.1")
    assert (settings.rasa_url, settings.rasa_token, settings.secure_cookies) == (
        "http://rasa:5005",
        "t",
        True,
    )
    assert settings.push_channels == frozenset({"telegram", "whatsapp"})


def test_defaults() -> None:
    settings = settings_from_env({"MFI_DB_URL": "sqlite:///y.db"})
    assert settings.port == 8000 and settings.rasa_url == "http://localhost:5005"
    assert settings.secure_cookies is None and settings.rasa_token is None
    assert settings.push_channels == DEFAULT_PUSH_CHANNELS
