import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg.generator import CatalogNLG
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def nlg() -> CatalogNLG:
    return CatalogNLG(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))


def tracker_in(language: str | None) -> DialogueStateTracker:
    parse = {"intent": {"name": "greet"}, "entities": [], "detected_language": language}
    event = UserUttered("...", parse["intent"], [], parse)
    return DialogueStateTracker.from_events("client", [event])


def test_renders_in_the_language_the_client_writes_in(nlg: CatalogNLG) -> None:
    response = asyncio.run(nlg.generate("utter_greet", tracker_in("sw"), "rest"))
    english = asyncio.run(nlg.generate("utter_greet", tracker_in("en"), "rest"))
    assert response["text"] and response["text"] != english["text"]
    assert [b["payload"] for b in response["buttons"]] == [b["payload"] for b in english["buttons"]]
    assert response["buttons"][0]["title"] != english["buttons"][0]["title"]


@pytest.mark.parametrize("language", ["sw", "es", "fr", "hi", "hi_Latn", "bn"])
def test_every_language_has_a_greeting(nlg: CatalogNLG, language: str) -> None:
    english = asyncio.run(nlg.generate("utter_greet", tracker_in("en"), "rest"))["text"]
    assert asyncio.run(nlg.generate("utter_greet", tracker_in(language), "rest"))["text"] != english


def test_unknown_language_uses_the_default(nlg: CatalogNLG) -> None:
    response = asyncio.run(nlg.generate("utter_goodbye", tracker_in(None), "rest"))
    assert response["text"].startswith("Goodbye")


def test_fills_variables_from_the_action(nlg: CatalogNLG) -> None:
    domain = Domain.from_dict({"responses": {"utter_x": [{"text": "Pay {amount} by {date}."}]}})
    generator = CatalogNLG(domain=domain)
    response = asyncio.run(
        generator.generate("utter_x", tracker_in("en"), "rest", amount="KES 10", date="1 Dec")
    )
    assert response["text"] == "Pay KES 10 by 1 Dec."


def test_unknown_response_gives_none(nlg: CatalogNLG) -> None:
    assert asyncio.run(nlg.generate("utter_nothing", tracker_in("en"), "rest")) is None


def test_button_payloads_are_left_as_they_are(caplog: pytest.LogCaptureFixture) -> None:
    domain = Domain.from_dict(
        {
            "responses": {
                "utter_x": [
                    {
                        "text": "Per {unit}?",
                        "buttons": [
                            {"title": "{unit}", "payload": '/inform{"frequency":"weekly"}'}
                        ],
                    }
                ]
            }
        }
    )
    response = asyncio.run(
        CatalogNLG(domain=domain).generate("utter_x", tracker_in("en"), "rest", unit="week")
    )
    assert response["text"] == "Per week?"
    assert response["buttons"] == [{"title": "week", "payload": '/inform{"frequency":"weekly"}'}]
    assert "interpolat" not in caplog.text


def test_payloads_that_escape_their_braces_are_filled() -> None:
    domain = Domain.from_dict(
        {
            "responses": {
                "utter_x": [
                    {
                        "text": "Quiz?",
                        "buttons": [{"title": "Go", "payload": '/start_quiz{{"topic":"{topic}"}}'}],
                    }
                ]
            }
        }
    )
    response = asyncio.run(
        CatalogNLG(domain=domain).generate("utter_x", tracker_in("en"), "rest", topic="saving")
    )
    assert response["buttons"][0]["payload"] == '/start_quiz{"topic":"saving"}'
