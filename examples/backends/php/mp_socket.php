<?php
// mp-socket from a PHP backend (Laravel, Swoole, plain PHP 8): login tokens for the mini-program,
// pushes and kicks through Redis (php-redis) or through a node's HTTP API (php-curl).

/** The login token of $u: HMAC-SHA256 of $u under the server's MP_SECRET, in hex. */
function mp_socket_token(string $secret, string $u): string
{
    return hash_hmac('sha256', $u, $secret);
}

/** A token that stops working $expiresIn seconds from now: "<expiry>.<HMAC of "$u\n<expiry>">". */
function mp_socket_expiring_token(string $secret, string $u, int $expiresIn): string
{
    $expiry = time() + $expiresIn;
    return $expiry . '.' . hash_hmac('sha256', $u . "\n" . $expiry, $secret);
}

/**
 * Publishes on the push channel, which every node hears: a push
 * ['event' => 'order', 'msg' => [...], 'to' => 'user:6'] (or 'channel' => 'courier:7'), stored and
 * delivered once; or a kick ['disconnect' => ['to' => 'user:6', 'reason' => 'logged in elsewhere']].
 */
function mp_socket_publish(Redis $redis, array $message, string $channel = 'mp-socket:push'): void
{
    $redis->publish($channel, json_encode($message, JSON_THROW_ON_ERROR));
}

/**
 * POSTs to any node with the push secret (MP_PUSH_SECRET): '/push' answers ['delivered' => n],
 * '/disconnect' ['disconnected' => n], both counted over every node.
 */
function mp_socket_post(string $base, string $pushSecret, string $path, array $body): array
{
    $curl = curl_init($base . $path);
    curl_setopt_array($curl, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => json_encode($body, JSON_THROW_ON_ERROR),
        CURLOPT_HTTPHEADER => ['content-type: application/json', 'authorization: Bearer ' . $pushSecret],
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
    ]);
    $answer = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    $error = curl_error($curl);
    curl_close($curl);
    if ($answer === false || $status !== 200) {
        throw new RuntimeException("mp-socket $path answered $status: " . ($answer === false ? $error : $answer));
    }
    return json_decode($answer, true, 512, JSON_THROW_ON_ERROR);
}
