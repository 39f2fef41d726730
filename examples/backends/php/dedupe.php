<?php
// Exactly once in a PHP backend (Laravel on Swoole, or any other) over Redis, as docs/protocol.md
// "Exactly once" describes; the same keys as the reference server, so both can serve one cluster.
//
//   php dedupe.php REDIS_URL   reads one request a line on stdin, {"user","uuid","key","ms","fail"},
//                              runs it once (the handler adds 1 to count:<key> after `ms` ms; with
//                              `fail` it refuses with 409), and prints {"uuid": …, "reply": <reply
//                              data>} a line. Stops at the end of its input. Needs php-redis (Debian).
// In a Swoole coroutine server, usleep() yields: other requests run while one waits.

// exactly-once:start
const WINDOW_MS = 60000; // the `dedupe` the login reply announces

class ReplyError extends Exception
{
    public function __construct(public int $status, public mixed $body)
    {
        parent::__construct(is_string($body) ? $body : 'refused');
    }
}

/** The reply data of request $uuid of $user as JSON text; $handler() runs on one node only. */
function runOnce(Redis $redis, string $user, string $uuid, callable $handler): string
{
    $key = 'mp-socket:dedupe:' . json_encode($user, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_LINE_TERMINATORS) . ':' . $uuid;
    for ($round = 0; $round < 3; $round++) {
        // Take the request, or read what is there: '?' while a node runs it, then its reply.
        $found = $redis->rawCommand('SET', $key, '?', 'NX', 'PX', WINDOW_MS, 'GET');
        if ($found === false || $found === null) {
            try {
                $reply = json_encode(['error' => 0, 'body' => $handler()]);
            } catch (ReplyError $error) {
                $reply = json_encode(['error' => $error->status, 'body' => $error->body]);
            }
            $redis->set($key, $reply, ['px' => WINDOW_MS]);
            return $reply;
        }
        while ($found === '?') {
            usleep(20000);
            $found = $redis->get($key);
        }
        if ($found !== false) {
            return $found;
        }
        // The claim expired without a reply (its node died): take it over.
    }
    return json_encode(['error' => 500, 'body' => 'request not run: duplicates cannot be checked']);
}
// exactly-once:end

$url = parse_url($argv[1]);
$redis = new Redis();
$redis->connect($url['host'], $url['port']);
$redis->select((int) ltrim($url['path'] ?? '/0', '/'));
while (($line = fgets(STDIN)) !== false) {
    $request = json_decode($line, true);
    $handler = function () use ($redis, $request) {
        usleep(($request['ms'] ?? 0) * 1000);
        $redis->incr('count:' . $request['key']);
        if (!empty($request['fail'])) {
            throw new ReplyError(409, 'refused');
        }
        return $request['key'];
    };
    $reply = runOnce($redis, $request['user'], $request['uuid'], $handler);
    echo json_encode(['uuid' => $request['uuid'], 'reply' => json_decode($reply)]), "\n";
}
