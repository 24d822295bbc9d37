import datetime as dt
from decimal import Decimal

import pytest

from bot.i18n.formatting import format_date, format_money, format_number, format_percent


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "KES\xa010,000.00"),
        ("sw", "Ksh\xa010,000.00"),
        ("es", "10.000,00\xa0KES"),
        ("bn", "১০,০০০.০০\xa0KES"),
    ],
)
def test_money_follows_the_language_locale(language: str, expected: str) -> None:
    assert format_money(Decimal("10000"), language, currency="KES") == expected


def test_money_uses_the_deployment_currency(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("MFI_CURRENCY", "inr")
    get_settings.cache_clear()
    try:
        assert format_money(1500, "hi") == "₹1,500.00"
    finally:
        get_settings.cache_clear()


def test_percent_and_number_follow_the_locale() -> None:
    assert format_percent(Decimal("0.417"), "en") == "41.7%"
    assert format_percent(Decimal("0.417"), "fr") == "41,7\xa0%"
    assert format_percent(Decimal("0.417"), "bn") == "৪১.৭%"
    assert format_number(1234567, "hi") == "12,34,567"
    assert format_number(1234567, "bn") == "১২,৩৪,৫৬৭"


def test_dates_are_written_in_the_language() -> None:
    assert format_date(dt.date(2026, 12, 1), "sw") == "1 Des 2026"
    assert format_date(dt.date(2026, 12, 1), "es") == "1 dic 2026"


def test_unknown_language_falls_back_to_the_default() -> None:
    assert format_number(1000, "xx") == format_number(1000, "en")


def test_a_deployment_can_pick_the_country_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("MFI_LOCALES", "en=en_KE, sw=sw_KE")
    get_settings.cache_clear()
    try:
        assert format_money(10000, "en", currency="KES") == "Ksh\xa010,000.00"
    finally:
        get_settings.cache_clear()
