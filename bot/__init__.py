"""MFI Assistant: the Python package behind the Rasa assistant.

Subpackages: ``nlu`` (custom NLU components), ``nlg`` (multilingual responses),
``i18n`` (catalogs and locale formatting), ``finance`` (pure money math),
``lessons``, ``store`` (the project's own tables), ``channels`` and ``console``.
"""
