#!/usr/bin/python3
"""Three backends that know nothing of mp-socket, on aiohttp (the WebSocket library of a Django
live-location system), for the recipes of docs/guides/bring-your-own-backend.md:

  /quiet     never answers a ping (or anything): pushes {"tick": n} every 200 ms; the message
             {"silence": true} stops the ticks while the socket stays open (a half-dead link).
  /first     as a PHP live-location service: the first message {"user_id": …} says who to follow;
             never answered; then bare JSON positions with neither type nor event.
  /envelope  its own envelope: {"op":"call","ref":…,"method":…,"args":…} answered
             {"op":"result","ref":…,"ok":true,"value":…} or {"op":"result","ref":…,"ok":false,
             "error":{"code":…,"message":…}}; pushes {"op":"event","name":…,"body":…}; the method
             "auth" with a wrong key is refused with code "denied".

  backend.py [PORT]   listens on 127.0.0.1 (PORT 0: a free one), prints "listening on PORT", and
                      stops by itself after 10 minutes.
Needs python3-aiohttp (Debian: apt-get install python3-aiohttp).
"""
import asyncio
import json
import sys

from aiohttp import WSMsgType, web


async def quiet(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    state = {'silent': False}

    async def ticks():
        n = 0
        while not ws.closed and not state['silent']:
            n += 1
            await ws.send_str(json.dumps({'tick': n}))
            await asyncio.sleep(0.2)

    task = asyncio.ensure_future(ticks())
    async for msg in ws:
        if msg.type == WSMsgType.TEXT and json.loads(msg.data).get('silence'):
            state['silent'] = True
    task.cancel()
    return ws


async def first(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    hello = await ws.receive()
    user_id = json.loads(hello.data).get('user_id') if hello.type == WSMsgType.TEXT else None
    if not user_id:
        await ws.close(code=1008, message=b'user_id required')
        return ws
    for n in range(1, 4):
        await ws.send_str(json.dumps({'user_id': user_id, 'lat': 35.0 + n / 1000, 'lng': 53.1, 'timestamp': n}))
    async for _ in ws:
        pass
    return ws


async def envelope(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    authed = False
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        call = json.loads(msg.data)
        if call.get('op') != 'call':
            continue
        ref, method, args = call.get('ref'), call.get('method'), call.get('args') or {}
        if method == 'auth':
            authed = args.get('key') == 'right-key'
            if authed:
                reply = {'op': 'result', 'ref': ref, 'ok': True, 'value': {'user': args.get('user')}}
            else:
                reply = {'op': 'result', 'ref': ref, 'ok': False, 'error': {'code': 'denied', 'message': 'bad key'}}
        elif not authed:
            reply = {'op': 'result', 'ref': ref, 'ok': False, 'error': {'code': 'unauthenticated', 'message': 'auth first'}}
        elif method == 'add':
            reply = {'op': 'result', 'ref': ref, 'ok': True, 'value': args.get('a', 0) + args.get('b', 0)}
            await ws.send_str(json.dumps({'op': 'event', 'name': 'added', 'body': reply['value']}))
        elif method == 'ping':
            reply = {'op': 'result', 'ref': ref, 'ok': True, 'value': 'pong'}
        else:
            reply = {'op': 'result', 'ref': ref, 'ok': False, 'error': {'code': 'unknown_method', 'message': method}}
        await ws.send_str(json.dumps(reply))
    return ws


async def main(port):
    app = web.Application()
    app.router.add_get('/quiet', quiet)
    app.router.add_get('/first', first)
    app.router.add_get('/envelope', envelope)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', port)
    await site.start()
    print('listening on %d' % site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(600)
    await runner.cleanup()


if __name__ == '__main__':
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
