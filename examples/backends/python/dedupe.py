#!/usr/bin/python3
"""Exactly once in a Python backend (Django, or any other) over Redis, as docs/protocol.md
"Exactly once" describes; the same keys as the reference server, so both can serve one cluster.

  dedupe.py REDIS_URL   reads one request a line on stdin, {"user","uuid","key","ms","fail"},
                        runs it once (the handler adds 1 to count:<key> after `ms` ms; with `fail`
                        it refuses with 409), and prints {"uuid": …, "reply": <reply data>} a line.
                        Stops at the end of its input. Needs python3-redis (Debian).
"""
import json
import sys
import time

import redis

# exactly-once:start
WINDOW_MS = 60_000  # the `dedupe` the login reply announces


class ReplyError(Exception):
    def __init__(self, code, body):
        super().__init__(body)
        self.code, self.body = code, body


def run_once(r, user, uuid, handler):
    """The reply data of request `uuid` of `user` as JSON text; `handler()` runs on one node only."""
    key = 'mp-socket:dedupe:%s:%s' % (json.dumps(user, ensure_ascii=False), uuid)
    for _ in range(3):
        # Take the request, or read what is there: '?' while a node runs it, then its reply.
        found = r.set(key, '?', nx=True, px=WINDOW_MS, get=True)
        if found is None:
            try:
                reply = json.dumps({'error': 0, 'body': handler()})
            except ReplyError as error:
                reply = json.dumps({'error': error.code, 'body': error.body})
            r.set(key, reply, px=WINDOW_MS)
            return reply
        while found == '?':
            time.sleep(0.02)
            found = r.get(key)
        if found is not None:
            return found
        # The claim expired without a reply (its node died): take it over.
    return json.dumps({'error': 500, 'body': 'request not run: duplicates cannot be checked'})
# exactly-once:end


def main():
    r = redis.Redis.from_url(sys.argv[1], decode_responses=True)
    for line in sys.stdin:
        request = json.loads(line)

        def handler():
            time.sleep(request.get('ms', 0) / 1000)
            r.incr('count:' + request['key'])
            if request.get('fail'):
                raise ReplyError(409, 'refused')
            return request['key']

        reply = run_once(r, request['user'], request['uuid'], handler)
        print(json.dumps({'uuid': request['uuid'], 'reply': json.loads(reply)}), flush=True)


if __name__ == '__main__':
    main()
