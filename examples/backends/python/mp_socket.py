"""mp-socket from a Python backend (Django, Flask, FastAPI, a worker): login tokens for the
mini-program, pushes and kicks through Redis (redis-py) or through a node's HTTP API (stdlib)."""
import hashlib
import hmac
import json
import time
import urllib.request


def token(secret: str, u: str) -> str:
    """The login token of u: HMAC-SHA256 of u under the server's MP_SECRET, in hex."""
    return hmac.new(secret.encode(), u.encode(), hashlib.sha256).hexdigest()


def expiring_token(secret: str, u: str, expires_in: int) -> str:
    """A token that stops working expires_in seconds from now: '<expiry>.<HMAC of "u\\n<expiry>">'."""
    expiry = int(time.time()) + expires_in
    return f"{expiry}." + hmac.new(secret.encode(), f"{u}\n{expiry}".encode(), hashlib.sha256).hexdigest()


def publish(redis, message: dict, channel: str = "mp-socket:push") -> None:
    """Publishes on the push channel, which every node hears: a push
    {"event": "order", "msg": {...}, "to": "user:6"} (or "channel": "courier:7"), stored and
    delivered once; or a kick {"disconnect": {"to": "user:6", "reason": "logged in elsewhere"}}."""
    redis.publish(channel, json.dumps(message))


def post(base: str, push_secret: str, path: str, body: dict) -> dict:
    """POSTs to any node with the push secret (MP_PUSH_SECRET): "/push" answers {"delivered": n},
    "/disconnect" {"disconnected": n}, both counted over every node. Raises HTTPError otherwise."""
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {push_secret}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
