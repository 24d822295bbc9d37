"""Production mode: what several Rasa servers sharing PostgreSQL, Redis and RabbitMQ need.

- ``lock_store``: a Redis lock store whose tickets are issued and returned atomically.
- ``tracker_store``: Rasa's SQL tracker store, reconnecting after a database restart.
- ``health``: what a server depends on, and whether each answers.
- ``balancer``: a small round-robin HTTP balancer in front of the Rasa servers.
- ``consumer``: reads Rasa's events from RabbitMQ and keeps the console's index current.
- ``services``: starts the local PostgreSQL/Redis/RabbitMQ when they are down, makes the
  database, runs the migrations (``python -m bot.production prepare``).
"""
