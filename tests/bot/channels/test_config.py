"""Channel settings from credentials.yml values and environment variables."""

from __future__ import annotations

from bot.channels.config import (
    DEFAULT_TELEGRAM_API,
    DEFAULT_TWILIO_API,
    RetryPolicy,
    TelegramConfig,
    WhatsAppConfig,
    resolve_media_url,
)


def test_whatsapp_from_env() -> None:
    config = WhatsAppConfig.from_env(
        env={
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": " token ",
            "TWILIO_WHATSAPP_NUMBER": "+14155238886",
            "MFI_CHANNEL_SEND_ATTEMPTS": "6",
        }
    )
    assert (config.account_sid, config.auth_token) == ("AC1", "token")
    assert config.whatsapp_number == "whatsapp:+14155238886"
    assert config.api_base_url == DEFAULT_TWILIO_API
    assert config.can_send and config.can_verify
    assert config.retry.attempts == 6


def test_credentials_file_values_win_and_blanks_fall_back() -> None:
    config = WhatsAppConfig.from_env(
        {"auth_token": "from-file", "account_sid": ""}, env={"TWILIO_ACCOUNT_SID": "AC-env"}
    )
    assert (config.auth_token, config.account_sid) == ("from-file", "AC-env")


def test_nothing_configured_fails_closed() -> None:
    assert not WhatsAppConfig.from_env(env={}).can_verify
    assert not WhatsAppConfig.from_env(env={}).can_send
    telegram = TelegramConfig.from_env(env={"TELEGRAM_BOT_TOKEN": "1:x"})
    assert not telegram.can_verify  # a token without a secret is not enough
    assert telegram.api_base_url == DEFAULT_TELEGRAM_API
    assert telegram.bot_id == "1"


def test_telegram_from_env() -> None:
    config = TelegramConfig.from_env(
        env={
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_WEBHOOK_SECRET": "s",
            "TELEGRAM_SECONDS_PER_CHAT": "0.5",
            "MFI_MEDIA_BASE_URL": "https://m.example.org/",
        }
    )
    assert config.can_verify and config.seconds_per_chat == 0.5
    assert config.media_base_url == "https://m.example.org/"


def test_retry_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=3)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]


def test_media_urls() -> None:
    base = "https://files.example.org/media"
    assert resolve_media_url("schedules/a.pdf", base) == f"{base}/schedules/a.pdf"
    assert resolve_media_url("/schedules/a.pdf", base + "/") == f"{base}/schedules/a.pdf"
    assert (
        resolve_media_url("https://cdn.example.org/a.pdf", None) == "https://cdn.example.org/a.pdf"
    )
    assert resolve_media_url("schedules/a.pdf", None) is None
