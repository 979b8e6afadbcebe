// Reads the one-time code an app just sent, the way an end-to-end test of a sign-in does: the
// app (here, this script) sends an SMS through smsoffice, and the test asks smsim for the newest
// message to that number, waiting up to five seconds for it, and types in its `code`.
//
// Run against `smsim serve` (SMSIM_URL overrides http://127.0.0.1:8800); prints the code.

const BASE = process.env.SMSIM_URL ?? "http://127.0.0.1:8800";
const PHONE = "995577000777";

async function newestId() {
  const reply = await fetch(`${BASE}/__admin/messages/latest`);
  return reply.status === 404 ? 0 : (await reply.json()).id;
}

async function latestCode(phone, since) {
  const query = new URLSearchParams({ destination: phone, since, wait: "5s" });
  const reply = await fetch(`${BASE}/__admin/messages/latest?${query}`);
  if (!reply.ok) throw new Error(`no code: ${await reply.text()}`);
  return (await reply.json()).code;
}

async function appSendsCode() {
  const query = new URLSearchParams({
    key: "demo-key", destination: PHONE, sender: "SMSOFFICE", content: "Your code is 482913",
  });
  await fetch(`${BASE}/api/v2/send/?${query}`);
}

const since = await newestId();
const waiting = latestCode(PHONE, since);
setTimeout(appSendsCode, 200);
const code = await waiting;
console.log(code);
process.exit(code === "482913" ? 0 : 1);
