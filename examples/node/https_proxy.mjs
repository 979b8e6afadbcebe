// An unmodified https client of smsoffice reaching smsim through its proxy (Node's https module).
// The client function is written the way published smsoffice clients are: the document's
// `https://smsoffice.ge/api/v2/send/` URL hard-coded, nothing about smsim in it. The test only
// replaces `https.globalAgent`, which every `https.request` without an agent of its own uses
// (axios and got among them): its connections go through smsim's plain listener with `CONNECT
// smsoffice.ge:443`, which smsim answers as smsoffice over TLS, and they trust smsim's authority.
// Node 18 to 22 have no proxy setting of their own for https; on Node 24,
// `NODE_USE_ENV_PROXY=1 HTTPS_PROXY=... NODE_EXTRA_CA_CERTS=...` does the same without code.
//
// Run against `smsim serve --tls-listen 127.0.0.1:8443` (SMSIM_URL overrides
// http://127.0.0.1:8800); prints the provider's message. Node 18+, standard library only.

import http from "node:http";
import https from "node:https";
import tls from "node:tls";

const BASE = new URL(process.env.SMSIM_URL ?? "http://127.0.0.1:8800");

// The client under test: smsoffice's documented https URL, hard-coded.
function sendSms(key, destination, text) {
  const query = new URLSearchParams({ key, destination, sender: "SMSOFFICE", content: text });
  return new Promise((resolve, reject) => {
    https
      .get(`https://smsoffice.ge/api/v2/send/?${query}`, { timeout: 10_000 }, (reply) => {
        let body = "";
        reply.setEncoding("utf8");
        reply.on("data", (chunk) => (body += chunk));
        reply.on("end", () => resolve(JSON.parse(body)));
      })
      .on("error", reject);
  });
}

// The test's set-up: an agent that opens each connection as a tunnel through smsim and trusts
// smsim's authority. Node's agent waits for the callback when `createConnection` returns nothing.
class ThroughSmsim extends https.Agent {
  createConnection(options, done) {
    const tunnel = http.request({
      host: BASE.hostname,
      port: BASE.port,
      method: "CONNECT",
      path: `${options.host}:${options.port}`,
    });
    tunnel.on("connect", (reply, socket) => {
      if (reply.statusCode !== 200) {
        socket.destroy();
        done(new Error(`CONNECT answered ${reply.statusCode}`));
        return;
      }
      done(null, tls.connect({ ...options, socket, servername: options.host }));
    });
    tunnel.on("error", done);
    tunnel.end();
  }
}

async function text(url) {
  const reply = await fetch(url);
  if (!reply.ok) throw new Error(`${url}: ${reply.status}`);
  return reply.text();
}

const authority = await text(new URL("/__admin/tls/ca.pem", BASE));
https.globalAgent = new ThroughSmsim({ ca: authority, keepAlive: false });

const answer = await sendSms("demo-key", "995555000903", "Your code is 615204");
if (answer.ErrorCode !== 0) {
  console.error("send refused:", answer);
  process.exit(1);
}
// smsim saw it come over https, to the host the client named.
const journal = JSON.parse(await text(new URL("/__admin/requests?order=newest&limit=1", BASE)));
const entry = journal.requests[0];
if (entry.scheme !== "https" || entry.host !== "smsoffice.ge") {
  console.error("unexpected journal entry:", entry);
  process.exit(1);
}
console.log(answer.Message);
