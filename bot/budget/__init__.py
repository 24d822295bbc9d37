"""Budget, affordability and savings conversations without Rasa (docs/budget.md).

The budget actions (``actions/budget.py``) read slots, call this package, utter the
responses of its notes and return slot events. The money math is ``bot.finance``. Modules:

- ``words``: the per-language words and labels of ``data/budget/<code>.yml``.
- ``items``: the values the forms keep (amount items, loan and installment requests).
- ``reading``: a message's text and entities into amounts with their roles, categories,
  frequencies, dates, rates and the words said (done, skip, cancel...).
- ``presenting``: the notes of a result (what to tell the client, with its figures
  formatted in the client's language by ``bot.i18n``).
- ``budget_form``, ``affordability_form``, ``savings_form``: what the forms have collected
  (drafts), what one message changes, and the answers.
- ``keeping``: the client's kept budget and consent in the database (``bot.store.budget``).
"""
