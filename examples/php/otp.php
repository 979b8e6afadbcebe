<?php
// Reads the one-time code an app just sent, the way an end-to-end test of a sign-in does (PHP's
// curl extension): the app sends an SMS through smsco, and the test asks smsim for the newest
// message to that number, waiting up to five seconds for it, and types in its `code`.
//
// Run against `smsim serve` (SMSIM_URL overrides http://127.0.0.1:8800); prints the code.

$base = getenv('SMSIM_URL') ?: 'http://127.0.0.1:8800';
$phone = '995599000777';

function get(string $url): array {
    $curl = curl_init($url);
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($curl, CURLOPT_TIMEOUT, 10);
    $body = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    return [$status, $body];
}

// The newest message id so far, so the test reads only what comes next.
[$status, $body] = get("$base/__admin/messages/latest");
$since = $status === 404 ? 0 : json_decode($body, true)['id'];

// What the app under test does: an smsco send with a one-time code. (PHP has no threads: the
// app sends first, and the test's wait then answers at once.)
$query = http_build_query([
    'username' => 'demo', 'password' => 'demo', 'recipient' => $phone,
    'message' => 'Your code is 615204',
]);
[$status, $reply] = get("$base/components/com_smsreseller/smsapi2.php?$query");
if (strpos($reply, 'OK') !== 0) {
    fwrite(STDERR, "send refused: $reply\n");
    exit(1);
}

$query = http_build_query(['destination' => $phone, 'since' => $since, 'wait' => '5s']);
[$status, $body] = get("$base/__admin/messages/latest?$query");
if ($status !== 200) {
    fwrite(STDERR, "no code: $body\n");
    exit(1);
}
$code = json_decode($body, true)['code'];
echo $code, "\n";
exit($code === '615204' ? 0 : 1);
