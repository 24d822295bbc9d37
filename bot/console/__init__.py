"""The staff console: a small web app over Rasa's tracker store and the project's tables.

Staff see what clients asked and what the assistant answered, answer clients who asked
for a person, and follow complaints. ``python -m bot.console`` serves it and manages its
users (see docs/console.md). Importing this package is cheap (no web framework): the bot's
actions import ``bot.console.privacy`` from here.
"""
