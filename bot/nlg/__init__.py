"""Multilingual natural language generation for Rasa (see ``generator``)."""
