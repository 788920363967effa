"""Rate limiting: a DynamoDB limiter with a 429 request authorizer, and an inbound buffer that caps the
concurrency a downstream sees. (API keys with usage plans per tier: ``components.core.ApiKeyAuth(tiers=...)``.)"""

from components.rate_limit.buffer import Downstream, RequestBuffer, RequestBufferArgs
from components.rate_limit.limiter import RateLimiter, RateLimiterArgs, denied_answer
from functions.rate_limit.config import Limit

__all__ = ["Downstream", "Limit", "RateLimiter", "RateLimiterArgs", "RequestBuffer", "RequestBufferArgs",
           "denied_answer"]
