"""Custom actions (rasa-sdk action server): one module per topic.

Actions stay thin: they read slots, call the core in ``bot/``, pick a response and set
slots. Every client-facing text is a domain response rendered by ``bot.nlg``.
"""
