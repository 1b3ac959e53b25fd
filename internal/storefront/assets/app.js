// The reference storefront: vanilla JavaScript, no framework, no CDN.
// It calls the storefront's same-origin API, which adds the visitor's id.
"use strict";

const app = document.getElementById("app");
const base = app.dataset.base;
const $ = (id) => document.getElementById(id);
let currentHold = null;
let pendingCheckout = null; // reused on retry, so a retry never sells twice
let countdown = null;

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(base + "api/" + path, init);
  const data = await resp.json();
  if (!resp.ok) {
    const err = new Error(data.error ? data.error.message : resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function showError(err) {
  const box = $("error");
  box.textContent = err ? err.message : "";
  box.hidden = !err;
}

function money(n) {
  return n.toFixed(2);
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadSlots() {
  showError(null);
  const list = $("slots");
  list.replaceChildren();
  try {
    const data = await api("GET", "events?date=" + encodeURIComponent($("day").value));
    showFreshness(data.freshness);
    $("slots-empty").hidden = data.events.length > 0;
    for (const ev of data.events) list.appendChild(slot(ev));
  } catch (err) {
    showError(err);
  }
}

function showFreshness(f) {
  const age = f.age_seconds == null ? null : Math.round(f.age_seconds / 60);
  $("freshness").textContent = age == null ? "Availability not loaded yet." : "Availability as of " + age + " min ago.";
  $("paused").hidden = f.upstream.state !== "unreachable";
}

function slot(ev) {
  const li = el("li", { class: "slot" + (ev.sold_out ? " sold-out" : ""), "data-event": ev.id });
  li.appendChild(el("h3", {}, ev.start + "–" + ev.end + " · " + ev.name));
  li.appendChild(el("p", { class: "vacancy" }, ev.sold_out ? "Sold out" : ev.vacancy + " left"));
  for (const p of ev.prices) {
    const row = el("div", { class: "price" });
    const id = "qty-" + ev.id + "-" + p.ticket_id;
    row.appendChild(el("label", { for: id }, p.description + " · $" + money(p.price)));
    const input = el("input", { id, type: "number", min: "0", max: "20", value: "0", "data-ticket": p.ticket_id, class: "qty" });
    if (ev.sold_out) input.disabled = true;
    row.appendChild(input);
    li.appendChild(row);
  }
  const button = el("button", { type: "button", class: "hold" }, "Hold tickets");
  button.disabled = ev.sold_out;
  button.addEventListener("click", () => placeHold(ev, li));
  li.appendChild(button);
  return li;
}

async function placeHold(ev, li) {
  showError(null);
  const tickets = [];
  for (const input of li.querySelectorAll("input.qty")) {
    const quantity = parseInt(input.value, 10) || 0;
    if (quantity > 0) tickets.push({ ticket_id: Number(input.dataset.ticket), quantity });
  }
  if (tickets.length === 0) {
    showError(new Error("Choose at least one ticket."));
    return;
  }
  try {
    currentHold = await api("POST", "holds", { event_id: ev.id, tickets });
    pendingCheckout = null;
    $("hold-summary").textContent = currentHold.quantity + " ticket(s) for " + ev.name + " on " + ev.date + " at " + ev.start + ".";
    $("hold").hidden = false;
    $("confirmation").hidden = true;
    $("hold").scrollIntoView();
    startCountdown(currentHold.expires_in_seconds);
  } catch (err) {
    showError(err);
    loadSlots();
  }
}

function startCountdown(seconds) {
  clearInterval(countdown);
  const end = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    $("hold-countdown").textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) clearInterval(countdown);
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function checkout(event) {
  event.preventDefault();
  showError(null);
  if (!currentHold) return;
  if (!pendingCheckout) {
    const id = crypto.randomUUID();
    pendingCheckout = {
      checkout_id: id,
      hold_id: currentHold.id,
      payment_reference: "storefront-" + id,
      contact: { first_name: $("first-name").value, last_name: $("last-name").value, email: $("email").value },
    };
  }
  $("checkout").disabled = true;
  try {
    const res = await api("POST", "checkouts", pendingCheckout);
    showConfirmation(res);
  } catch (err) {
    showError(err);
  } finally {
    $("checkout").disabled = false;
  }
}

function showConfirmation(res) {
  clearInterval(countdown);
  $("hold").hidden = true;
  const sent = res.email.status === "sent" ? "Your e-tickets were sent to " : "Your e-tickets will be sent to ";
  $("confirmation-summary").textContent = "Booking " + res.booking_id + " (receipt " + res.receipt_no + "), " +
    res.event.name + " on " + res.event.date + " at " + res.event.start + ", paid $" + money(res.total_paid) + ". " + sent + res.contact.email + ".";
  const list = $("tickets");
  list.replaceChildren();
  for (const t of res.tickets) {
    const li = el("li", { class: "ticket" });
    li.appendChild(el("span", {}, t.description));
    li.appendChild(el("img", { src: base + "barcode/" + encodeURIComponent(t.barcode) + ".svg", alt: "barcode " + t.barcode }));
    li.appendChild(el("span", { class: "barcode-text" }, t.barcode));
    list.appendChild(li);
  }
  $("confirmation").hidden = false;
  $("confirmation").scrollIntoView();
  currentHold = null;
  pendingCheckout = null;
  loadSlots();
}

async function release() {
  if (!currentHold) return;
  try {
    await api("DELETE", "holds/" + encodeURIComponent(currentHold.id));
  } catch (err) {
    showError(err);
  }
  currentHold = null;
  clearInterval(countdown);
  $("hold").hidden = true;
  loadSlots();
}

$("day").value = app.dataset.today;
$("day").addEventListener("change", loadSlots);
$("checkout-form").addEventListener("submit", checkout);
$("release").addEventListener("click", release);
loadSlots();
