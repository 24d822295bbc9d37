"""A Redis lock store that two Rasa servers can share safely.

Rasa's ``RedisLockStore`` reads a conversation's lock, changes it in Python and writes it
back. Two servers that receive messages of one conversation at the same moment can both
read "no lock", both take ticket 0 and handle the conversation at once (events stored
twice or interleaved); a server returning its ticket can also delete the lock under a
ticket another server has just taken. Here every change of a lock (issue a ticket,
return one, drop expired ones) is one Lua script that Redis runs as a single step, so
there is nothing to interleave and nothing to retry. The stored lock keeps Rasa's format.

Configure it in endpoints.yml::

    lock_store:
      type: bot.production.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
      key_prefix: mfi
"""

from __future__ import annotations

import logging
import time
from typing import Any, Optional, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# KEYS[1]: the lock; ARGV: operation (issue|finish|expire), conversation id, now, argument
# (issue: the ticket's lifetime; finish: the ticket's number). Mirrors rasa.core.lock:
# expired tickets go first, a new ticket is the last number + 1, no ticket left = no lock.
CHANGE_LOCK = """
local key, op, conversation = KEYS[1], ARGV[1], ARGV[2]
local now, argument = tonumber(ARGV[3]), ARGV[4]
local tickets = {}
local raw = redis.call('GET', key)
if raw then
  for _, text in ipairs(cjson.decode(raw)['tickets']) do
    local ticket = cjson.decode(text)
    if now <= tonumber(ticket['expires']) then table.insert(tickets, ticket) end
  end
end
local result = -1
if op == 'issue' then
  local last = -1
  if #tickets > 0 then last = tonumber(tickets[#tickets]['number']) end
  result = last + 1
  table.insert(tickets, {number = result, expires = now + tonumber(argument)})
elseif op == 'finish' then
  for index, ticket in ipairs(tickets) do
    if tonumber(ticket['number']) == tonumber(argument) then
      table.remove(tickets, index)
      break
    end
  end
end
if #tickets == 0 then
  redis.call('DEL', key)
else
  local texts = {}
  for _, ticket in ipairs(tickets) do
    table.insert(texts, string.format('{"number": %d, "expires": %.6f}',
      tonumber(ticket['number']), tonumber(ticket['expires'])))
  end
  redis.call('SET', key, cjson.encode({conversation_id = conversation, tickets = texts}))
end
return result
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store with atomic ticket issue, update and release."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Creates the store from its endpoint configuration (as Rasa loads custom stores).

        Args:
            endpoint_config: ``lock_store`` of endpoints.yml (``url`` is the Redis host).
            kwargs: RedisLockStore's arguments, when created directly.
        """
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)
        self._script: Optional[Any] = None

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    def _change(self, operation: str, conversation_id: Text, argument: float = 0) -> int:
        """Runs one change of a lock in Redis, as a single step.

        Raises:
            LockError: Redis is unavailable.
        """
        if self._script is None:
            self._script = self.red.register_script(CHANGE_LOCK)
        try:
            result = self._script(
                keys=[self._key(conversation_id)],
                args=[operation, conversation_id, repr(time.time()), repr(argument)],
            )
        except redis.RedisError as error:
            raise LockError(f"The lock store is unavailable: {error}") from error
        return int(result)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issues the next ticket of the conversation's lock."""
        return self._change("issue", conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        """Removes the expired tickets of the conversation's lock."""
        self._change("expire", conversation_id)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Returns a ticket; the lock goes with the last ticket."""
        self._change("finish", conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Returns the ticket (the lock goes with the last one)."""
        try:
            self.finish_serving(conversation_id, ticket_number)
        except LockError:
            # the ticket expires by itself after its lifetime
            logger.exception("Could not return ticket %s of %s", ticket_number, conversation_id)

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        """The conversation's lock, or None (Redis errors become LockError)."""
        try:
            return super().get_lock(conversation_id)
        except redis.RedisError as error:
            raise LockError(f"The lock store is unavailable: {error}") from error

    def ping(self) -> bool:
        """True when Redis answers."""
        return bool(self.red.ping())
