"""The staff console: a small web app over Rasa's tracker store and the project's tables.

Staff see what clients asked and what the assistant answered, answer clients who asked
for a person, and follow complaints. ``python -m bot.console`` serves it and manages its
users (see docs/console.md). Importing this package is cheap (no web framework). The
console builds on ``bot.store`` (its tables, the audit log, deleting a client's data in
``bot.store.privacy``); nothing below it imports the console.
"""
