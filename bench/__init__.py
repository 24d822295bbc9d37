"""Load benchmark of a running assistant (``make bench``): Locust users, report, memory.

- ``scripts``: the conversations the simulated clients hold (from tests/stories and the
  NLU data) and the turn type of each message;
- ``report``: percentiles, the JSON and Markdown report;
- ``memory``: peak RSS of the assistant's processes, sampled with psutil;
- ``config``: run settings and the signed WhatsApp webhook requests;
- ``fake_twilio``: a stand-in for Twilio's REST API that counts WhatsApp replies;
- ``locustfile``: the Locust users (REST and signed WhatsApp webhook).
"""
