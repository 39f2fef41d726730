"""The calls of mp_socket.py from a shell, as a backend job would make them. Settings come from
the environment: MP_SECRET, MP_PUSH_SECRET, MP_HTTP (a node, http://127.0.0.1:9502), REDIS_URL,
REDIS_CHANNEL.
  python3 cli.py token user:6 | expiring-token user:6 3600
  python3 cli.py push-redis|push-http user:6 order '{"id":7}'
  python3 cli.py kick-redis|kick-http user:6 'logged in elsewhere'
"""
import json
import os
import sys

import redis

import mp_socket

command, user, *rest = sys.argv[1:]
secret = os.environ.get("MP_SECRET", "")
push_secret = os.environ.get("MP_PUSH_SECRET", secret)
http = os.environ.get("MP_HTTP", "http://127.0.0.1:9502")
channel = os.environ.get("REDIS_CHANNEL", "mp-socket:push")


def connect():
    return redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))


if command == "token":
    print(mp_socket.token(secret, user))
elif command == "expiring-token":
    print(mp_socket.expiring_token(secret, user, int(rest[0])))
elif command == "push-redis":
    mp_socket.publish(connect(), {"event": rest[0], "msg": json.loads(rest[1]), "to": user}, channel)
    print("published")
elif command == "push-http":
    print(json.dumps(mp_socket.post(http, push_secret, "/push", {"event": rest[0], "msg": json.loads(rest[1]), "to": user})))
elif command == "kick-redis":
    mp_socket.publish(connect(), {"disconnect": {"to": user, "reason": rest[0]}}, channel)
    print("published")
elif command == "kick-http":
    print(json.dumps(mp_socket.post(http, push_secret, "/disconnect", {"to": user, "reason": rest[0]})))
else:
    sys.exit(f"unknown command {command}")
