// The reference storefront: vanilla JavaScript, no framework, no CDN.
// It calls the storefront's same-origin API, which adds the visitor's id
// and the member session from cookies the script cannot read.
"use strict";

const app = document.getElementById("app");
const base = app.dataset.base;
const emailOn = app.dataset.email === "on";
const $ = (id) => document.getElementById(id);
let member = null;
let currentHold = null;
let currentEvent = null;
let offer = null;
let pendingCheckout = null; // reused on retry, so a retry never sells twice
let countdown = null;

// api calls the storefront's API; every failure becomes an Error whose
// message is words a visitor can read.
async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(base + "api/" + path, init);
  } catch (e) {
    const err = new Error("The shop could not be reached. Check your connection and try again.");
    err.status = 0;
    throw err;
  }
  let data = null;
  try {
    data = await resp.json();
  } catch (e) {
    data = null;
  }
  if (!resp.ok) {
    const words = data && data.error && data.error.message ? data.error.message : "The shop answered " + resp.status + " " + resp.statusText + ".";
    const err = new Error(words);
    err.status = resp.status;
    throw err;
  }
  return { status: resp.status, data };
}

function showError(err) {
  const box = $("error");
  box.textContent = err ? err.message : "";
  box.hidden = !err;
  if (err) box.scrollIntoView({ block: "nearest" });
}

function money(n) {
  return Number(n).toFixed(2);
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function qtyInput(id, attrs) {
  return el("input", Object.assign({ id, type: "number", min: "0", max: "20", value: "0", class: "qty" }, attrs));
}

// ---- members ----

async function loadMember() {
  try {
    member = (await api("GET", "members/me")).data;
  } catch (err) {
    member = null;
    if (err.status !== 401) showError(err);
  }
  showMember();
}

function showMember() {
  $("sign-in-form").hidden = member !== null;
  $("sign-out").hidden = member === null;
  $("member-status").hidden = member === null;
  if (!member) return;
  const who = member.first_name + " " + member.last_name;
  const family = member.is_primary ? "" : " (family membership)";
  $("member-status").textContent = member.status === "current"
    ? "Signed in as " + who + family + ": member prices apply."
    : "Signed in as " + who + ": your membership is " + member.status + ", so public prices apply.";
  if (!$("last-name").value) {
    $("first-name").value = member.first_name;
    $("last-name").value = member.last_name;
    $("email").value = member.email || "";
  }
}

async function signIn(event) {
  event.preventDefault();
  showError(null);
  const number = parseInt($("member-number").value, 10);
  const body = number > 0
    ? { member_number: number, surname: $("surname").value.trim() }
    : { email: $("member-email").value.trim(), password: $("member-password").value };
  try {
    member = (await api("POST", "members/sessions", body)).data.member;
    $("member-password").value = "";
    showMember();
    if (currentEvent) await loadOffer(currentEvent);
  } catch (err) {
    showError(err);
  }
}

async function signOut() {
  showError(null);
  try {
    await api("DELETE", "members/me");
  } catch (err) {
    if (err.status !== 401) showError(err);
  }
  member = null;
  showMember();
  if (currentEvent) await loadOffer(currentEvent);
}

// ---- sessions and general entry ----

// slotsLoad numbers the loads of the list: when two overlap (a new day
// picked while a hold refreshes it), only the newest may fill the list,
// or the sessions would show twice.
let slotsLoad = 0;

async function loadSlots() {
  const mine = ++slotsLoad;
  $("slots").replaceChildren(); // nothing to type into until the day's list is in
  try {
    const data = (await api("GET", "events?date=" + encodeURIComponent($("day").value))).data;
    if (mine !== slotsLoad) return;
    showFreshness(data.freshness);
    $("slots-empty").hidden = data.events.length > 0;
    $("slots").replaceChildren(...data.events.map(slot));
  } catch (err) {
    if (mine === slotsLoad) showError(err);
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
    const input = qtyInput(id, { "data-ticket": p.ticket_id });
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

async function loadGeneral() {
  const list = $("general");
  list.replaceChildren();
  try {
    const data = (await api("GET", "general-tickets")).data;
    for (const g of data.general_tickets) {
      const li = el("li", { class: "price" });
      const id = "ga-" + g.ticket_id;
      li.appendChild(el("label", { for: id }, g.description + " · $" + money(g.price)));
      li.appendChild(qtyInput(id, { "data-general": g.ticket_id, "data-price": g.price, "data-description": g.description }));
      list.appendChild(li);
    }
  } catch (err) {
    showError(err);
  }
}

function chosenGeneral() {
  const out = [];
  for (const input of document.querySelectorAll("input[data-general]")) {
    const quantity = parseInt(input.value, 10) || 0;
    if (quantity > 0) out.push({ id: Number(input.dataset.general), quantity, description: input.dataset.description });
  }
  return out;
}

// ---- holds and the basket ----

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
    currentHold = (await api("POST", "holds", { event_id: ev.id, tickets })).data;
  } catch (err) {
    showError(err); // stays on screen: the list below is refreshed, the message is not cleared
    await loadSlots();
    return;
  }
  currentEvent = ev;
  pendingCheckout = null;
  $("hold-summary").textContent = currentHold.quantity + " ticket(s) for " + ev.name + " on " + ev.date + " at " + ev.start + ".";
  $("hold-timer").hidden = false;
  $("release").hidden = false;
  openBasket();
  startCountdown(currentHold.expires_in_seconds);
  await loadOffer(ev);
}

function openBasket() {
  const general = chosenGeneral();
  $("general-summary").textContent = general.length
    ? "General entry: " + general.map((g) => g.quantity + " × " + g.description).join(", ") + "."
    : "";
  $("hold").hidden = false;
  $("confirmation").hidden = true;
  $("hold").scrollIntoView();
}

// loadOffer reads the held session's prices (member prices when signed
// in) and extras, now, from the venue.
async function loadOffer(ev) {
  const prices = $("hold-prices");
  const extras = $("extras");
  prices.replaceChildren();
  extras.replaceChildren();
  try {
    offer = (await api("GET", "events/" + ev.id + "/offer")).data;
  } catch (err) {
    offer = null;
    showError(err);
    return;
  }
  const held = new Map((currentHold ? currentHold.tickets : []).map((t) => [t.ticket_id, t.quantity]));
  for (const p of offer.prices) {
    if (!held.has(p.ticket_id)) continue;
    prices.appendChild(el("li", { class: "held-price" }, held.get(p.ticket_id) + " × " + p.description + " at $" + money(p.price) +
      (offer.member_price ? " (member price)" : "")));
  }
  for (const x of offer.extras) {
    const li = el("li", { class: "price" });
    const id = "extra-" + x.extra_id;
    li.appendChild(el("label", { for: id }, x.description + " · $" + money(x.price)));
    li.appendChild(qtyInput(id, { "data-extra": x.extra_id }));
    extras.appendChild(li);
  }
  $("extras-box").hidden = offer.extras.length === 0;
}

function buyGeneral() {
  showError(null);
  if (chosenGeneral().length === 0) {
    showError(new Error("Choose at least one general-entry ticket."));
    return;
  }
  currentHold = null;
  currentEvent = null;
  pendingCheckout = null;
  clearInterval(countdown);
  $("hold-summary").textContent = "General entry, no time slot.";
  $("hold-timer").hidden = true;
  $("release").hidden = true;
  $("hold-prices").replaceChildren();
  $("extras-box").hidden = true;
  openBasket();
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

function chosenExtras() {
  const out = [];
  if (!currentHold) return out;
  for (const input of document.querySelectorAll("input[data-extra]")) {
    const quantity = parseInt(input.value, 10) || 0;
    if (quantity > 0) out.push({ id: Number(input.dataset.extra), quantity });
  }
  return out;
}

async function checkout(event) {
  event.preventDefault();
  showError(null);
  if (!pendingCheckout) {
    const id = crypto.randomUUID();
    pendingCheckout = {
      checkout_id: id,
      payment_reference: "storefront-" + id,
      contact: { first_name: $("first-name").value, last_name: $("last-name").value, email: $("email").value },
      extras: chosenExtras(),
      general: chosenGeneral().map((g) => ({ id: g.id, quantity: g.quantity })),
    };
    if (currentHold) pendingCheckout.hold_id = currentHold.id;
  }
  $("checkout").disabled = true;
  try {
    showConfirmation((await api("POST", "checkouts", pendingCheckout)).data);
  } catch (err) {
    showError(err);
    // A refusal sold nothing: a corrected basket is a new checkout. After
    // an outage or a lost connection the same checkout id is retried, so
    // it can never sell twice.
    if (err.status >= 400 && err.status < 500) pendingCheckout = null;
  } finally {
    $("checkout").disabled = false;
  }
}

function emailSentence(res) {
  switch (res.email.status) {
    case "sent":
      return "Your e-tickets were sent to " + res.email.to + ".";
    case "pending":
      return "Your e-tickets will be sent to " + res.email.to + ".";
    default:
      return "Keep these barcodes: show them at the entrance.";
  }
}

function showConfirmation(res) {
  clearInterval(countdown);
  $("hold").hidden = true;
  const list = $("tickets");
  list.replaceChildren();
  if (res.state === "confirming") {
    $("confirmation-title").textContent = "We are confirming your booking";
    $("confirmation-summary").textContent = res.message;
  } else {
    $("confirmation-title").textContent = "Booked";
    const what = res.event ? res.event.name + " on " + res.event.date + " at " + res.event.start : "General entry";
    const extras = res.extras.length ? " Extras: " + res.extras.map((x) => x.quantity + " × " + x.description).join(", ") + "." : "";
    const memberNote = res.member_code ? " Booked for member " + res.member_code + "." : "";
    $("confirmation-summary").textContent = "Booking " + (res.booking_id || "") + " (receipt " + res.receipt_no + "), " + what +
      ", paid $" + money(res.total_paid) + "." + extras + memberNote + " " + emailSentence(res);
    for (const t of res.tickets.concat(res.general)) {
      const li = el("li", { class: "ticket" });
      li.appendChild(el("span", {}, t.description));
      li.appendChild(el("img", { src: base + "barcode/" + encodeURIComponent(t.barcode) + ".svg", alt: "barcode " + t.barcode }));
      li.appendChild(el("span", { class: "barcode-text" }, t.barcode));
      list.appendChild(li);
    }
  }
  $("confirmation").hidden = false;
  $("confirmation").scrollIntoView();
  currentHold = null;
  currentEvent = null;
  pendingCheckout = null;
  for (const input of document.querySelectorAll("input[data-general]")) input.value = "0";
  loadSlots();
}

async function release() {
  showError(null);
  if (!currentHold) return;
  try {
    await api("DELETE", "holds/" + encodeURIComponent(currentHold.id));
  } catch (err) {
    showError(err);
    return;
  }
  currentHold = null;
  currentEvent = null;
  clearInterval(countdown);
  $("hold").hidden = true;
  await loadSlots();
}

$("day").value = app.dataset.today;
$("day").addEventListener("change", () => { showError(null); loadSlots(); });
$("checkout-form").addEventListener("submit", checkout);
$("release").addEventListener("click", release);
$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", signOut);
$("buy-general").addEventListener("click", buyGeneral);
loadMember();
loadGeneral();
loadSlots();
