// Drives smsim from Node with the standard library only (Node 18+): send an SMS through getsms,
// move the simulator's clock, read the status, get an smsoffice delivery callback, and see a fault.
//
// Run against `smsim serve --clock manual` (SMSIM_URL overrides http://127.0.0.1:8800).
// Exits 0 when every step answered as expected.

import http from "node:http";
import assert from "node:assert/strict";

const BASE = process.env.SMSIM_URL ?? "http://127.0.0.1:8800";

async function call(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    // Admin calls that change state say they are JSON, so that no web page can forge them.
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.text();
}

async function form(path, fields) {
  const response = await fetch(BASE + path, { method: "POST", body: new URLSearchParams(fields) });
  return JSON.parse(await response.text()); // getsms answers JSON as text/html
}

// A callback receiver that answers OK, as smsoffice requires.
const received = [];
const receiver = http.createServer((request, response) => {
  received.push(Object.fromEntries(new URL(request.url, "http://x").searchParams));
  response.end("OK");
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const callback = `http://127.0.0.1:${receiver.address().port}/sms-callback`;

try {
  await call("POST", "/__admin/reset");

  // getsms: send, then the status row once delivered.
  const sent = await form("/smsgateway/", {
    login: "demo", password: "demo", nickname: "GETSMS",
    data: JSON.stringify([{ phone: "998901234567", text: "Salom" }]),
  });
  assert.equal(typeof sent[0].request_id, "number");
  await call("POST", "/__admin/clock/advance", { seconds: 2 });
  const rows = await form("/smsgateway/status/", {
    login: "demo", password: "demo", data: JSON.stringify([{ request_id: String(sent[0].request_id) }]),
  });
  assert.equal(rows[0].status, "delivered");

  // smsoffice: a delivery callback to our receiver.
  await call("PATCH", "/__admin/accounts/smsoffice/demo-key", { callback_url: callback });
  const query = new URLSearchParams({
    key: "demo-key", destination: "995555123456", sender: "SMSOFFICE", content: "Hi", reference: "node-1",
  });
  assert.equal(JSON.parse(await call("GET", "/api/v2/send/?" + query)).ErrorCode, 0);
  await call("POST", "/__admin/clock/advance", { seconds: 2 });
  assert.equal(received.at(-1)?.status, "Delivered");

  // A fault: getsms's "Limit is over" once, then normal service.
  await call("POST", "/__admin/faults", { spec: "getsms.send=error:103*1" });
  const refused = await form("/smsgateway/", {
    login: "demo", password: "demo", nickname: "GETSMS",
    data: JSON.stringify([{ phone: "998901234567", text: "again" }]),
  });
  assert.equal(refused[0].error_no, 103);
  console.log("node: sent, delivered, called back, and failed on purpose, as expected");
} catch (failed) {
  console.error("node: unexpected answer:", failed.message);
  process.exitCode = 1;
} finally {
  receiver.close();
}
