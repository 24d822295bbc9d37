"""What one client message changes in a loan form: values set, values to ask again.

Three forms ask for a loan's terms (docs/loans.md): the quote form and the schedule form
(one loan) and the comparison form (two offers). ``FormRules.update`` applies a message's
``Reading`` to the form's values (keyed like the slots, ``bot.loans.fields``) and checks
them with the engine; the actions set the changes as slots and utter a re-ask for each
problem. No Rasa here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Tuple

from bot.finance import LoanInputError
from bot.loans.engine import currency_digits, problems
from bot.loans.fields import (
    CURRENCY_KEY,
    FIRST,
    OFFER_FIELDS,
    RATE,
    SECOND,
    SHARED_FIELDS,
    UNIT_OF_NUMBER,
    field_of,
    loan_slots,
    offer_values,
)
from bot.loans.reading import Reading, assign_loan, assign_offers

Problems = List[Tuple[str, LoanInputError]]


@dataclass(frozen=True)
class FormUpdate:
    """What a message does to a form.

    Attributes:
        changes: key -> new value (None: forgotten, to be asked again), in order.
        problems: (key, error) of each bad value, in the order to say them.
        not_understood: the key asked for when the message gave no value at all.
        values: every value after the changes (the slots given, updated).
        currency: the loan's currency (the one named, else the default given).
    """

    changes: Dict[str, Any]
    problems: Problems
    not_understood: str | None
    values: Dict[str, Any]
    currency: str


class FormRules:
    """The quote form: one loan; a new request without terms forgets the old loan."""

    def update(
        self,
        reading: Reading,
        slots: Mapping[str, Any],
        requested: str | None,
        activation: bool,
        fresh: bool,
        default_currency: str,
    ) -> FormUpdate:
        """Apply a message to the form's values.

        Args:
            reading: the message's values.
            slots: the current slot values.
            requested: the key the form asked for (None when the message starts the form).
            activation: the message starts (or re-opens) the form.
            fresh: the message is a new request for this form's answer (its own intent),
                not a value given after an answer.
            default_currency: the deployment's currency.
        """
        values = dict(slots)
        changes: Dict[str, Any] = {}
        if activation:
            changes.update(self.reset(reading, values, fresh))
            values.update(changes)
        candidates = self.assign(reading, requested, values, activation, fresh)
        if reading.currency:
            candidates[CURRENCY_KEY] = reading.currency
        changes.update(candidates)
        values.update(candidates)
        currency = str(values.get(CURRENCY_KEY) or default_currency)
        found = self.problems(values, candidates, currency_digits(currency))
        for key, _ in found:
            offer, name = field_of(key)
            # the unit given with a wrong number is asked again with it ("0 months")
            for cleared in (key, offer + UNIT_OF_NUMBER.get(name, name)):
                if cleared == key or cleared in candidates:
                    changes[cleared] = None
                    values[cleared] = None
        not_understood = requested if requested and not candidates else None
        if not_understood:  # "abc": the question is asked again
            changes[not_understood] = None
        return FormUpdate(changes, found, not_understood, values, currency)

    def reset(self, reading: Reading, slots: Mapping[str, Any], fresh: bool) -> Dict[str, Any]:
        """Values cleared when the form starts: a new calculation forgets the old loan."""
        if fresh and not reading.has_values:
            return {key: None for key in loan_slots(FIRST)}
        return {}

    def assign(
        self,
        reading: Reading,
        requested: str | None,
        slots: Mapping[str, Any],
        start: bool,
        fresh: bool,
    ) -> Dict[str, Any]:
        """Values from the message for the loan."""
        return assign_loan(reading, requested)

    def problems(
        self, slots: Mapping[str, Any], candidates: Mapping[str, Any], digits: int
    ) -> Problems:
        """(key, error) of every bad value of the loan."""
        values = offer_values(slots, FIRST)
        fields = {
            field_of(key)[1]: value
            for key, value in candidates.items()
            if key.startswith(FIRST) and not key.startswith(SECOND)
        }
        return [(FIRST + name, error) for name, error in problems(values, fields, digits)]


class ScheduleFormRules(FormRules):
    """The schedule form: like the quote form; the schedule is of the loan discussed."""

    def reset(self, reading: Reading, slots: Mapping[str, Any], fresh: bool) -> Dict[str, Any]:
        """Nothing is forgotten: "show the schedule" is about the loan just quoted."""
        return {}


class CompareFormRules(FormRules):
    """The comparison form: two offers; a message may give both ("2% flat or 30%")."""

    def reset(self, reading: Reading, slots: Mapping[str, Any], fresh: bool) -> Dict[str, Any]:
        """A new comparison forgets the old second offer (and the first's rate if it gives two)."""
        if not fresh:
            return {}
        cleared = {key: None for key in loan_slots(SECOND)}
        if len(reading.rates) >= 2 or slots.get(FIRST + RATE) is None:
            cleared.update({FIRST + name: None for name in OFFER_FIELDS})
        return cleared

    def assign(
        self,
        reading: Reading,
        requested: str | None,
        slots: Mapping[str, Any],
        start: bool,
        fresh: bool,
    ) -> Dict[str, Any]:
        """Values of both offers: the first and second of each kind, else one offer.

        A single rate is the second offer's once the first is known; after a comparison,
        a new amount, term or frequency ("and for 12 months?") is both offers'.
        """
        if requested and field_of(requested)[0] == SECOND:
            target = SECOND
        elif start and slots.get(FIRST + RATE) is not None:
            target = SECOND
        else:
            target = FIRST
        follow_up = start and not fresh
        return assign_offers(reading, target, requested, slots, share=follow_up)

    def problems(
        self, slots: Mapping[str, Any], candidates: Mapping[str, Any], digits: int
    ) -> Problems:
        """(key, error) of every bad value of either offer."""
        found = super().problems(slots, candidates, digits)
        cleared = dict(slots)
        for key, _ in found:
            cleared[key] = None
        second = {
            field_of(key)[1]: value for key, value in candidates.items() if key.startswith(SECOND)
        }
        for name, error in problems(offer_values(cleared, SECOND), second, digits):
            own = SECOND + name
            key = own if cleared.get(own) is not None or name not in SHARED_FIELDS else FIRST + name
            if key not in dict(found):
                found.append((key, error))
        return found
