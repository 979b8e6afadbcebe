// smsim as a Testcontainers service from Node's own test runner: start the image, wait for its
// health check, send the one-time code an app would send through smsoffice and through getsms,
// and read each back through the admin API.
//
//     docker build -t smsim .             # from the repository's root
//     cd examples/testcontainers && npm install && npm test
//
// SMSIM_IMAGE names another image (default `smsim`). Exits non-zero when a step answers otherwise.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { GenericContainer, Wait } from "testcontainers";

const IMAGE = process.env.SMSIM_IMAGE ?? "smsim";

let smsim;
let base;

before(async () => {
  smsim = await new GenericContainer(IMAGE)
    .withExposedPorts(8800)
    // The test's requests reach the container through Docker's network, not from loopback:
    // getsms only answers addresses on its allow-list.
    .withEnvironment({ SMSIM_CONFIG_PATCH: '{"getsms":{"allow_list":["0.0.0.0/0","::/0"]}}' })
    // The image's own HEALTHCHECK (`smsim health`).
    .withWaitStrategy(Wait.forHealthCheck())
    .start();
  base = `http://${smsim.getHost()}:${smsim.getMappedPort(8800)}`;
});

after(async () => {
  await smsim?.stop();
});

/** The newest message to `destination` after message `since`, waiting up to 5 s for it. */
async function latestMessage(destination, since) {
  const query = new URLSearchParams({ destination, since: String(since), wait: "5s" });
  const reply = await fetch(`${base}/__admin/messages/latest?${query}`);
  assert.equal(reply.status, 200, await reply.clone().text());
  return reply.json();
}

/** The id of the newest message so far (0 when there is none): later reads ask for newer ones. */
async function lastMessageId() {
  const reply = await fetch(`${base}/__admin/messages?order=newest&limit=1`);
  const { messages } = await reply.json();
  return messages.length ? messages[0].id : 0;
}

test("a code sent through smsoffice is read back", async () => {
  const since = await lastMessageId();
  const query = new URLSearchParams({
    key: "demo-key",
    destination: "995577123456",
    sender: "SMSOFFICE",
    content: "Your code is 4821",
  });
  const sent = await (await fetch(`${base}/api/v2/send/?${query}`)).json();
  assert.equal(sent.ErrorCode, 0, JSON.stringify(sent));

  const message = await latestMessage("995577123456", since);
  assert.equal(message.code, "4821");
  assert.equal(message.sender, "SMSOFFICE");
});

test("a code sent through getsms is read back", async () => {
  const since = await lastMessageId();
  const form = new URLSearchParams({
    login: "demo",
    password: "demo",
    nickname: "GETSMS",
    data: JSON.stringify([{ phone: "998901234567", text: "Kodingiz: 730514" }]),
  });
  const reply = await fetch(`${base}/smsgateway/`, { method: "POST", body: form });
  assert.equal(reply.status, 200, "refused: is the test's address on getsms's allow-list?");
  const [item] = await reply.json();
  assert.equal(typeof item.message_id, "number", JSON.stringify(item));

  const message = await latestMessage("998901234567", since);
  assert.equal(message.code, "730514");
  assert.equal(message.provider, "getsms");
});
