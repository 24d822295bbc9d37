"""Custom Rasa NLU components: language detection and value (entity) normalisation."""
