<?php
// An unmodified https client of smsoffice reaching smsim through its proxy setting (PHP's curl
// extension). The client function is written the way published smsoffice clients are: the
// document's https URL hard-coded. The test only configures curl's proxy (smsim's plain listener,
// which answers `CONNECT smsoffice.ge:443` as smsoffice over TLS) and trusts smsim's authority;
// Guzzle takes the same two settings as its `proxy` and `verify` options.
//
// Run against `smsim serve --tls-listen 127.0.0.1:8443` (SMSIM_URL overrides
// http://127.0.0.1:8800); prints the provider's message.

$base = getenv('SMSIM_URL') ?: 'http://127.0.0.1:8800';

// The test's set-up: smsim's authority in a file, and every curl handle routed through smsim.
$authority = file_get_contents("$base/__admin/tls/ca.pem");
$caFile = tempnam(sys_get_temp_dir(), 'smsim-ca');
file_put_contents($caFile, $authority);

function curl_for_tests(string $url) {
    global $base, $caFile;
    $curl = curl_init($url);
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($curl, CURLOPT_TIMEOUT, 10);
    curl_setopt($curl, CURLOPT_PROXY, $base);
    curl_setopt($curl, CURLOPT_CAINFO, $caFile);
    return $curl;
}

// The client under test: smsoffice's documented https URL, hard-coded.
function send_sms(string $key, string $destination, string $text): array {
    $query = http_build_query([
        'key' => $key, 'destination' => $destination, 'sender' => 'SMSOFFICE', 'content' => $text,
    ]);
    $curl = curl_for_tests("https://smsoffice.ge/api/v2/send/?$query");
    $body = curl_exec($curl);
    if ($body === false) {
        fwrite(STDERR, 'curl: ' . curl_error($curl) . "\n");
        exit(1);
    }
    curl_close($curl);
    return json_decode($body, true);
}

$answer = send_sms('demo-key', '995555000902', 'Your code is 480213');
unlink($caFile);
if ($answer['ErrorCode'] !== 0) {
    fwrite(STDERR, 'send refused: ' . json_encode($answer) . "\n");
    exit(1);
}
$entry = json_decode(file_get_contents("$base/__admin/requests?order=newest&limit=1"), true)['requests'][0];
if ($entry['scheme'] !== 'https' || $entry['host'] !== 'smsoffice.ge') {
    fwrite(STDERR, 'unexpected journal entry: ' . json_encode($entry) . "\n");
    exit(1);
}
echo $answer['Message'], "\n";
