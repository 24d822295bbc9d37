"""The project's own tables (SQLAlchemy 1.4), beside Rasa's tracker store.

``db`` holds the engine factory and the declarative base; each feature has its module
(``budget``, ``lessons``, ``channels``, ``console``...). Engines are created on first use,
never at import.
"""
