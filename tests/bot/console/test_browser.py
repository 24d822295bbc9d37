"""The console in headless Chromium (Debian's /usr/bin/chromium through Playwright).

One console server (a thread) and one browser for the module: log in, filter, open a
transcript, tag it, answer a client in a handoff and see the reply in the transcript.
Screenshots go to test-artifacts/console/.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.console.app import create_app
from bot.console.auth import Role, create_user
from bot.console.config import ConsoleSettings
from bot.console.migrate import upgrade
from bot.store.db import dispose_engines, get_engine, session_scope
from bot.store.support import HANDOFF_OPEN, Handoff

from .conftest import PASSWORD, REST_ID, TELEGRAM_ID, WHATSAPP_ID, Deliveries
from .fakes import EventWriter, FakeRasa
from .servers import ServerThread

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 10_000

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium: apt-get install -y chromium chromium-driver",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


class Site:
    """The console under test, its database and fakes."""

    def __init__(self, url: str, engine: Engine, deliveries: Deliveries, rasa: FakeRasa) -> None:
        self.url = url
        self.engine = engine
        self.deliveries = deliveries
        self.rasa = rasa


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'console.db'}"
    engine = get_engine(url)
    upgrade(engine)
    writer = EventWriter(engine)
    writer.turn(
        WHATSAPP_ID, "habari, nataka mkopo", "greet", "Hello!", channel="whatsapp", language="sw"
    )
    writer.turn(
        WHATSAPP_ID,
        "nataka kuongea na mtu",
        "request_human",
        "A person will answer.",
        channel="whatsapp",
        language="sw",
    )
    writer.plain(WHATSAPP_ID, "pause")
    writer.turn(
        TELEGRAM_ID,
        "how much for a loan of 20000",
        "calculate_loan",
        "It costs 4800.",
        channel="telegram",
        confidence=0.88,
    )
    writer.turn(
        REST_ID,
        "what is flat rate",
        "explain_interest",
        "Flat rate means...",
        channel="rest",
        confidence=0.31,
    )
    with session_scope(engine) as session:
        create_user(session, "amina", PASSWORD, Role.AGENT)
        session.add(
            Handoff(
                conversation_id=WHATSAPP_ID,
                channel="whatsapp",
                language="sw",
                reason="request_human",
                status=HANDOFF_OPEN,
                requested_at=dt.datetime.utcnow() - dt.timedelta(minutes=12),
            )
        )
    rasa = FakeRasa(writer).start()
    deliveries = Deliveries()
    settings = ConsoleSettings(db_url=url, rasa_url=rasa.url, background_seconds=0.5)
    server = ServerThread(create_app(settings, engine=engine, deliver=deliveries)).start()
    try:
        yield Site(server.url, engine, deliveries, rasa)
    finally:
        server.stop()
        rasa.stop()
        dispose_engines()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.errors = errors
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_log_in_and_see_the_conversations(page: Any, site: Site) -> None:
    page.goto(site.url + "/conversations")
    assert "/login" in page.url
    page.fill("input[name=username]", "amina")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/conversations")
    sync_api.expect(page.locator(".count")).to_have_text("3 conversations")
    sync_api.expect(page.locator("table.conversations")).to_contain_text("calculate_loan")
    sync_api.expect(page.locator("table.conversations")).to_contain_text("0.31")
    shot(page, "01-list")
    assert page.errors == []


def test_filter_the_list(page: Any, site: Site) -> None:
    page.select_option("select[name=channel]", "telegram")
    sync_api.expect(page.locator(".count")).to_have_text("1 conversation")
    assert "channel=telegram" in page.url
    page.fill("input[name=q]", "flat")
    page.select_option("select[name=channel]", "")
    sync_api.expect(page.locator(".count")).to_have_text("1 conversation")
    sync_api.expect(page.locator("table.conversations")).to_contain_text("explain_interest")
    shot(page, "02-filtered")
    page.click("text=Clear")
    sync_api.expect(page.locator(".count")).to_have_text("3 conversations")


def test_open_a_transcript_and_tag_it(page: Any, site: Site) -> None:
    page.click("tr:has-text('telegram') a.client")
    sync_api.expect(page.locator("ol.transcript")).to_contain_text("how much for a loan of 20000")
    sync_api.expect(page.locator(".item.user .intent")).to_have_text("calculate_loan")
    page.fill("#tags input[name=tag]", "Needs Review")
    page.click("#tags button:has-text('Add tag')")
    sync_api.expect(page.locator("#tags .tag")).to_contain_text("needs-review")
    page.click("#mark-reviewed")
    sync_api.expect(page.locator("#review")).to_contain_text("Reviewed by amina")
    shot(page, "03-transcript-tagged")
    page.reload()
    sync_api.expect(page.locator("#tags .tag")).to_contain_text("needs-review")
    assert page.errors == []


def test_reply_in_a_handoff_and_see_it_in_the_transcript(page: Any, site: Site) -> None:
    page.click("nav >> text=Handoffs")
    sync_api.expect(page.locator("table.handoffs")).to_contain_text("request_human")
    page.click("table.handoffs a.client")
    sync_api.expect(page.locator("#handoff")).to_contain_text("nobody has taken it yet")
    page.fill("#reply-text", "Habari, mimi ni Amina wa tawi.")
    page.click("#send-reply")
    sync_api.expect(page.locator("#reply-form")).to_contain_text("Sent to the client.")
    staff = page.locator(".item.bot.staff")
    sync_api.expect(staff).to_contain_text("Habari, mimi ni Amina wa tawi.")
    sync_api.expect(staff).to_contain_text("Staff: amina")
    sync_api.expect(page.locator("#handoff-status")).to_contain_text("handled by amina")
    assert site.deliveries.sent == [("whatsapp", WHATSAPP_ID, "Habari, mimi ni Amina wa tawi.")]
    shot(page, "04-handoff-reply")
    page.click("#hand-back")
    sync_api.expect(page.locator(".notice")).to_contain_text("The bot answers this client again.")
    sync_api.expect(page.locator("ol.transcript")).to_contain_text("This is the assistant again.")
    shot(page, "05-handed-back")
    assert page.errors == []


def test_phone_layout(browser: Any, site: Site, page: Any) -> None:
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state()
    )
    mobile = phone.new_page()
    mobile.goto(site.url + "/conversations")
    sync_api.expect(mobile.locator(".count")).to_have_text("3 conversations")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "the list scrolls sideways on a phone"
    shot(mobile, "06-phone-list")
    phone.close()


def test_analytics_charts_on_laptop_and_phone(browser: Any, site: Site, page: Any) -> None:
    charts = ["activity", "channels", "languages", "intents", "fallback", "support", "lessons"]
    url = site.url + "/analytics?date_from=2023-11-10&date_to=2023-11-16"
    page.goto(url)
    if "/login" in page.url:
        page.fill("input[name=username]", "amina")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/analytics?*")
    sync_api.expect(page.locator("#totals")).to_contain_text("Client messages")
    ready = f"() => {charts!r}.every(name => window.Chart.getChart('chart-' + name))"
    page.wait_for_function(ready)
    messages = page.evaluate(
        "() => window.Chart.getChart('chart-activity').data.datasets[1].data"
        ".reduce((sum, value) => sum + value, 0)"
    )
    assert messages == 4
    shot(page, "07-analytics")
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state()
    )
    mobile = phone.new_page()
    mobile.goto(url)
    mobile.wait_for_function(ready)
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 400
    shot(mobile, "08-phone-analytics")
    phone.close()
    assert page.errors == []
