#!/usr/bin/python3
"""Publishes a position the way the PHP and Django backends do, on their own Redis channel, in
their own shape. mp-socket's server ingests it unchanged (examples/live-location/server.mjs).

  publish.py REDIS_URL tracking USER_ID LAT LNG          the PHP API: channel tracking_updates
  publish.py REDIS_URL dlchannel ID USERNAME LAT LNG     the Django API: channel dlchannel

Prints the payload it published and how many subscribers Redis reported. Needs python3-redis
(Debian: apt-get install python3-redis).
"""
import json
import sys
import time

import redis


def tracking_update(user_id, lat, lng):
    # The PHP API: Redis::publish('tracking_updates', json_encode([...]))
    return 'tracking_updates', {'user_id': user_id, 'lng': float(lng), 'lat': float(lat), 'timestamp': int(time.time())}


def driver_location(user_id, username, lat, lng):
    # The Django REST framework API: redis.publish('dlchannel', json.dumps(serializer.data))
    return 'dlchannel', {'latitude': float(lat), 'longitude': float(lng), 'user': {'id': int(user_id), 'username': username}}


def main(argv):
    if len(argv) < 2 or argv[1] not in ('tracking', 'dlchannel'):
        print(__doc__, file=sys.stderr)
        return 2
    url, kind, args = argv[0], argv[1], argv[2:]
    if len(args) != (3 if kind == 'tracking' else 4):
        print(__doc__, file=sys.stderr)
        return 2
    channel, payload = tracking_update(*args) if kind == 'tracking' else driver_location(*args)
    client = redis.Redis.from_url(url)
    receivers = client.publish(channel, json.dumps(payload))
    print(json.dumps({'channel': channel, 'payload': payload, 'receivers': receivers}))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
