"""Loan conversations without Rasa: reading messages, checking, presenting, documents.

The loan actions (``actions/loans.py``) collect slots, call this package and utter its
results (docs/loans.md). Modules:

- ``fields``: the fields of a loan and the keys of its values (``loan_<field>`` for the
  loan or first offer, ``loan_b_<field>`` for the second offer; the slots carry these names).
- ``reading``: message text and entities into loan values.
- ``engine``: loan values into the engine's ``LoanTerms``; checks, quotes, the interest example.
- ``forms``: what one message changes in a loan form (values set, values to ask again).
- ``comparison``: which of two offers is cheaper and why.
- ``presenting``: the formatted values of a quote, schedule or comparison in a language.
- ``documents``: a schedule as CSV and PDF files.
"""
