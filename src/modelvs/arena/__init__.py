"""The arena: anonymous side-by-side battles, one vote each, rated with Bradley-Terry.

The web layer uses ``ArenaService`` (create battles, store answers, record votes),
``TokenBucketLimiter`` (per-client rate limits) and ``arena_ratings`` (the leaderboard);
``import_battles`` and ``export_battles`` move public Chatbot Arena battle files in and out.
"""

from modelvs.arena.leaderboard import arena_ratings, categories
from modelvs.arena.rate_limit import RateDecision, RateLimit, TokenBucketLimiter
from modelvs.arena.service import ArenaService, Battle, VoteReceipt, hash_client_id
from modelvs.arena.transfer import export_battles, import_battles

__all__ = [
    "ArenaService",
    "Battle",
    "RateDecision",
    "RateLimit",
    "TokenBucketLimiter",
    "VoteReceipt",
    "arena_ratings",
    "categories",
    "export_battles",
    "hash_client_id",
    "import_battles",
]
