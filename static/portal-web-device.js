// @ts-check
/**
 * The portal's "this browser" script (a module, loaded from a static file, never inline):
 * on /portal/this-browser it binds this browser as a device with the `recognize-web`
 * package; on the home page it marks this browser in the device list.
 */

import { WebDevice } from "./recognize-web/index.js";

/**
 * The device this browser is for `tenantId` on this server (the Client API is served by the
 * same origin as the portal).
 * @param {string} tenantId
 */
function webDevice(tenantId) {
  return new WebDevice({ baseUrl: window.location.origin, tenantId });
}

/** Whether this page may keep and use a device key (WebCrypto needs a secure context). */
function supported() {
  return window.isSecureContext && !!globalThis.crypto?.subtle && !!globalThis.indexedDB;
}

/**
 * Show `text` in the element named by `test`, hiding the other message.
 * @param {HTMLElement} root
 * @param {"web-device-status" | "web-device-error"} test
 * @param {string} text
 */
function say(root, test, text) {
  for (const element of root.querySelectorAll("[role=status], [role=alert]")) {
    /** @type {HTMLElement} */ (element).hidden = true;
  }
  const element = /** @type {HTMLElement} */ (root.querySelector(`[data-test=${test}]`));
  element.textContent = text;
  element.hidden = false;
}

/** @param {HTMLElement} root the `[data-web-device]` block of the page */
async function bindPage(root) {
  if (!supported()) {
    say(root, "web-device-error", "This browser cannot keep a device key on this page.");
    return;
  }
  const { tenantId = "", userId, grantUrl = "", doneUrl = "/portal/" } = root.dataset;
  const device = webDevice(tenantId);
  const status = await device.status();
  const devices = new Set((root.dataset.deviceIds ?? "").split(" ").filter(Boolean));
  if (status.hasKey) {
    const { userId: boundUser, deviceId } = /** @type {Record<string, string>} */ (status.binding);
    if (boundUser && boundUser !== userId) {
      say(root, "web-device-error", "This browser is already a device of another account.");
      return;
    }
    if (deviceId && devices.has(deviceId)) {
      say(root, "web-device-status", "This browser is already one of your devices.");
      return;
    }
    // A key whose device was deleted (or whose binding never finished): start afresh.
    await device.forget();
  }
  const form = /** @type {HTMLFormElement} */ (root.querySelector("form"));
  const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const response = await fetch(grantUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const grant = await response.json().catch(() => ({}));
      if (!response.ok || !grant.token) {
        throw new Error(grant.errorDescription ?? "Reload the page and try again.");
      }
      const name = /** @type {HTMLInputElement} */ (form.elements.namedItem("name")).value;
      await device.bind({ token: grant.token, name: name.trim() || "Web browser" });
      window.location.assign(doneUrl);
    } catch (error) {
      say(root, "web-device-error", `This browser was not added. ${error.message ?? ""}`.trim());
      button.disabled = false;
    }
  });
}

/** @param {HTMLElement} list the home page's device list */
async function markThisBrowser(list) {
  if (!supported()) return;
  const status = await webDevice(list.dataset.tenantId ?? "").status();
  const deviceId = /** @type {string | undefined} */ (status.binding.deviceId);
  const item = deviceId && list.querySelector(`[data-device-id="${CSS.escape(deviceId)}"]`);
  if (!item) return;
  const tag = document.createElement("span");
  tag.className = "tag";
  tag.dataset.test = "this-browser";
  tag.textContent = "This browser";
  item.querySelector("strong")?.after(tag);
  document.querySelector("[data-test=use-this-browser]")?.setAttribute("hidden", "");
}

const page = /** @type {HTMLElement | null} */ (document.querySelector("[data-web-device]"));
const list = /** @type {HTMLElement | null} */ (document.querySelector("[data-test=devices]"));
if (page) await bindPage(page);
if (list) await markThisBrowser(list);
