"""The console's areas, one module each, exposing ``AREA`` (see ``bot.console.web.Area``)."""
