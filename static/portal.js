// The portal's only script: "Copy" buttons (data-copy="<selector of what to copy>"), times
// shown in the reader's own time zone (<time datetime="..." data-local>), and passkeys
// (data-passkey="add" | "sign-in", with the JSON endpoints in data-options-url and
// data-answer-url; portal/views/passkeys.py).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  await navigator.clipboard.writeText(source.innerText.trim());
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});

const bytes = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const text = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const withIds = (list) => (list || []).map((c) => ({ ...c, id: bytes(c.id) }));

// WebAuthn's JSON encoding of a new or used credential (what py_webauthn reads).
function credentialJSON(credential) {
  const r = credential.response;
  const response = { clientDataJSON: text(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = text(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = text(r.authenticatorData);
    response.signature = text(r.signature);
    if (r.userHandle) response.userHandle = text(r.userHandle);
  }
  return {
    id: credential.id, rawId: text(credential.rawId), type: credential.type, response,
    clientExtensionResults: {}, authenticatorAttachment: credential.authenticatorAttachment,
  };
}

async function post(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.errorDescription || "That did not work.");
  return data;
}

async function passkey(box) {
  const csrf = box.querySelector("[name=csrfmiddlewaretoken]").value;
  const { options } = await post(box.dataset.optionsUrl, csrf, {});
  let credential;
  if (box.dataset.passkey === "add") {
    credential = await navigator.credentials.create({ publicKey: {
      ...options, challenge: bytes(options.challenge),
      user: { ...options.user, id: bytes(options.user.id) },
      excludeCredentials: withIds(options.excludeCredentials),
    } });
  } else {
    credential = await navigator.credentials.get({ publicKey: {
      ...options, challenge: bytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    } });
  }
  const { next } = await post(box.dataset.answerUrl, csrf, { credential: credentialJSON(credential) });
  window.location.assign(next);
}

document.addEventListener("click", async (event) => {
  const box = event.target.closest("[data-passkey]");
  if (!box || !event.target.closest("button")) return;
  const shown = document.querySelector("[data-passkey-error]");
  if (shown) shown.hidden = true;
  try {
    await passkey(box);
  } catch (error) {
    if (!shown) return;
    shown.textContent = error.name === "NotAllowedError"
      ? "The passkey was not used. Try again." : error.message;
    shown.hidden = false;
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  for (const element of document.querySelectorAll("time[data-local]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) element.textContent = format.format(moment);
  }
});
