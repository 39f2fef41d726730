<?php
// The calls of mp_socket.php from a shell, as a backend job would make them. Settings come from
// the environment: MP_SECRET, MP_PUSH_SECRET, MP_HTTP (a node, http://127.0.0.1:9502), REDIS_URL,
// REDIS_CHANNEL.
//   php cli.php token user:6 | expiring-token user:6 3600
//   php cli.php push-redis|push-http user:6 order '{"id":7}'
//   php cli.php kick-redis|kick-http user:6 'logged in elsewhere'
require __DIR__ . '/mp_socket.php';

[, $command, $user] = $argv;
$env = fn (string $name, string $default = '') => getenv($name) === false ? $default : getenv($name);
$redis = function () use ($env): Redis {
    $url = parse_url($env('REDIS_URL', 'redis://127.0.0.1:6379'));
    $redis = new Redis();
    $redis->connect($url['host'], $url['port'] ?? 6379);
    return $redis;
};
$channel = $env('REDIS_CHANNEL', 'mp-socket:push');
$http = fn (string $path, array $body) => mp_socket_post($env('MP_HTTP', 'http://127.0.0.1:9502'), $env('MP_PUSH_SECRET', $env('MP_SECRET')), $path, $body);

switch ($command) {
    case 'token':
        echo mp_socket_token($env('MP_SECRET'), $user), "\n";
        break;
    case 'expiring-token':
        echo mp_socket_expiring_token($env('MP_SECRET'), $user, (int) $argv[3]), "\n";
        break;
    case 'push-redis':
        mp_socket_publish($redis(), ['event' => $argv[3], 'msg' => json_decode($argv[4], true), 'to' => $user], $channel);
        echo "published\n";
        break;
    case 'push-http':
        echo json_encode($http('/push', ['event' => $argv[3], 'msg' => json_decode($argv[4], true), 'to' => $user])), "\n";
        break;
    case 'kick-redis':
        mp_socket_publish($redis(), ['disconnect' => ['to' => $user, 'reason' => $argv[3]]], $channel);
        echo "published\n";
        break;
    case 'kick-http':
        echo json_encode($http('/disconnect', ['to' => $user, 'reason' => $argv[3]])), "\n";
        break;
    default:
        fwrite(STDERR, "unknown command $command\n");
        exit(2);
}
