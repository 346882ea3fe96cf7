// The moderation console: state, events and keyboard. Talks only to /v1/moderation.

import { ProblemError, api, token } from "./api.js";
import { PAST, allowed, undoSteps, verb } from "./decisions.js";
import { clock, renderCounts, renderItem } from "./view.js";

const $ = (selector) => document.querySelector(selector);
const NAME_KEY = "marginalia.moderatorName";

const state = {
  filters: { status: "pending", post: "", type: "", reason: "", order: "oldest" },
  items: [],
  next: null,
  current: 0,
  selected: new Set(),
  counts: {},
  lease: null, // when the caller's claim ends (ISO), null without one
  last: null, // the last decision: {changes: [{id, from, to, etag}]}
};

// --- messages ---------------------------------------------------------------------------

function say(text) {
  $("#alert").textContent = "";
  $("#status").textContent = text;
}

function warn(text) {
  $("#status").textContent = "";
  $("#alert").textContent = text;
}

function problemText(error) {
  if (!(error instanceof ProblemError)) return String(error);
  const details = Object.entries(error.fieldErrors).map(
    ([field, messages]) => `#${field}: ${[].concat(messages).join(" ")}`,
  );
  return [error.message, ...details].join(" ");
}

// Errors every call can meet: a refused token ends the session; the rest is shown.
function handleCommonError(error) {
  if (error instanceof ProblemError && error.status === 401) {
    signOut("The token was refused (expired, revoked or mistyped). Sign in again.");
    return true;
  }
  if (error instanceof ProblemError && error.status === 403) {
    warn("This token cannot moderate: it needs the moderator or admin role.");
    return true;
  }
  return false;
}

// --- sign in ------------------------------------------------------------------------------

function showSignIn(message = "") {
  $("#console").hidden = true;
  $("#sign-out").hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message;
  $("#token").focus();
}

function signOut(message = "") {
  token.clear();
  sessionStorage.removeItem(NAME_KEY);
  Object.assign(state, { items: [], selected: new Set(), last: null, lease: null });
  showSignIn(message);
}

async function signIn(value) {
  token.set(value.trim());
  try {
    state.counts = await api.counts();
  } catch (error) {
    token.clear();
    const reason =
      error.status === 401
        ? "That token was refused."
        : error.status === 403
          ? "That token cannot moderate: it needs the moderator or admin role."
          : problemText(error);
    showSignIn(reason);
    return;
  }
  $("#token").value = "";
  $("#sign-in").hidden = true;
  $("#console").hidden = false;
  $("#sign-out").hidden = false;
  await reload();
  focusCurrent();
}

// --- loading --------------------------------------------------------------------------------

async function refreshCounts() {
  try {
    state.counts = await api.counts();
  } catch (error) {
    if (!handleCommonError(error)) warn(problemText(error));
  }
  renderCounts($("#statuses"), state.counts, state.filters.status);
}

async function reload() {
  try {
    const [counts, page] = await Promise.all([api.counts(), api.list(state.filters)]);
    state.counts = counts;
    state.items = page.items;
    state.next = page.next;
  } catch (error) {
    if (!handleCommonError(error)) warn(problemText(error));
    return;
  }
  state.selected = new Set([...state.selected].filter((id) => byId(id)));
  state.current = Math.min(state.current, Math.max(0, state.items.length - 1));
  noteLease();
  render();
}

async function loadMore() {
  if (!state.next) return;
  try {
    const page = await api.list(state.filters, state.next);
    state.items.push(...page.items.filter((item) => !byId(item.id)));
    state.next = page.next;
  } catch (error) {
    if (!handleCommonError(error)) warn(problemText(error));
  }
  render();
}

const byId = (id) => state.items.find((item) => item.id === id);
const myName = () => sessionStorage.getItem(NAME_KEY);
const isMine = (item) => Boolean(item.claim && myName() && item.claim.token_name === myName());

// --- rendering ------------------------------------------------------------------------------

function render() {
  renderCounts($("#statuses"), state.counts, state.filters.status);
  const list = $("#queue");
  list.replaceChildren(
    ...state.items.map((item, index) =>
      renderItem(item, {
        current: index === state.current,
        selected: state.selected.has(item.id),
        mine: isMine(item),
      }),
    ),
  );
  $("#empty").hidden = state.items.length > 0;
  $("#more").hidden = !state.next;
  const count = state.selected.size;
  $("#selected-count").textContent = `${count} selected`;
  for (const button of document.querySelectorAll("[data-batch]")) {
    button.disabled = count === 0;
  }
  const undo = $("#undo");
  undo.disabled = !state.last;
  undo.title = state.last ? `Undo: ${state.last.label}` : "Nothing to undo";
  renderLease();
}

function focusCurrent() {
  const node = $("#queue").children[state.current];
  if (node) {
    node.querySelector("article").focus({ preventScroll: true });
    node.scrollIntoView({ block: "nearest" });
  }
}

function move(step) {
  if (!state.items.length) return;
  const previous = $("#queue").children[state.current];
  state.current = Math.max(0, Math.min(state.items.length - 1, state.current + step));
  // Only the two items change: no full render for a move.
  previous?.classList.remove("current");
  previous?.querySelector("article").removeAttribute("aria-current");
  const node = $("#queue").children[state.current];
  node.classList.add("current");
  node.querySelector("article").setAttribute("aria-current", "true");
  focusCurrent();
}

function toggleSelected(id) {
  if (state.selected.has(id)) state.selected.delete(id);
  else state.selected.add(id);
  render();
}

// --- claims -----------------------------------------------------------------------------------

function noteLease() {
  const mine = state.items.filter(isMine).map((item) => item.claim.expires_at);
  if (mine.length) state.lease = mine.sort().at(-1);
}

function renderLease() {
  const lease = $("#lease");
  const live = state.lease && new Date(state.lease) > new Date();
  $("#release").hidden = !live;
  if (!live) {
    lease.textContent = state.lease ? "Your claim has expired." : "";
    return;
  }
  const seconds = Math.round((new Date(state.lease) - new Date()) / 1000);
  const left = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  const count = state.items.filter(isMine).length;
  lease.textContent = count
    ? `${count} claimed by you until ${clock(state.lease)} (${left} left)`
    : `Your claim runs until ${clock(state.lease)} (${left} left); none of it is listed here.`;
}

async function claim(limit) {
  try {
    const claimed = await api.claim(limit);
    state.lease = claimed.expires_at;
    if (claimed.items.length) sessionStorage.setItem(NAME_KEY, claimed.items[0].claim.token_name);
    say(
      claimed.items.length
        ? `Claimed ${claimed.items.length} comment(s) until ${clock(claimed.expires_at)}.`
        : "Nothing left to claim: every pending comment is taken or decided.",
    );
  } catch (error) {
    if (!handleCommonError(error)) warn(problemText(error));
    return;
  }
  await reload();
}

async function release() {
  try {
    await api.release();
  } catch (error) {
    if (!handleCommonError(error)) warn(problemText(error));
    return;
  }
  state.lease = null;
  say("Your claims are released.");
  await reload();
}

// --- decisions --------------------------------------------------------------------------------

// Replace an item by its new version, or drop it when it left the status shown.
function settle(item) {
  const index = state.items.findIndex((candidate) => candidate.id === item.id);
  if (index < 0) return;
  if (item.status === state.filters.status) {
    state.items[index] = item;
  } else {
    state.items.splice(index, 1);
    state.selected.delete(item.id);
    if (index < state.current) state.current -= 1;
  }
  state.current = Math.min(state.current, Math.max(0, state.items.length - 1));
}

// The item as the API has it now (null when it is gone), put in its place in the list.
async function refreshItem(id) {
  try {
    const fresh = await api.get(id);
    settle(fresh);
    return fresh;
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404) settle({ id, status: null });
    return null;
  }
}

async function decide(item, to) {
  if (!allowed(item.status, to)) {
    warn(`Comment #${item.id} is ${item.status}; it cannot be moved to ${to}.`);
    return;
  }
  try {
    const updated = await api.decide(item, to);
    state.last = {
      label: `${verb(item.status, to)} #${item.id}`,
      changes: [{ id: item.id, from: item.status, to, etag: updated.etag }],
    };
    settle(updated);
    say(`Comment #${item.id} ${PAST[to]}. Press u to undo.`);
  } catch (error) {
    if (handleCommonError(error)) return;
    if (error.status === 412) {
      const fresh = await refreshItem(item.id);
      const now = fresh ? `it is ${fresh.status} now` : "it is gone";
      const next = fresh?.status === state.filters.status ? " Check it and decide again." : "";
      warn(
        `Comment #${item.id} was changed by someone else since you loaded it; ${now} ` +
          `and has been refreshed.${next}`,
      );
    } else {
      if (error.status === 409) await refreshItem(item.id);
      warn(`Comment #${item.id}: ${problemText(error)}`);
    }
  }
  render();
  await refreshCounts();
  focusCurrent();
}

async function decideMany(ids, to) {
  const items = ids.map(byId).filter(Boolean);
  try {
    const result = await api.batch(ids, to);
    state.last = {
      label: `${verb(items[0]?.status, to)} ${ids.length} comments`,
      changes: items.map((item) => ({ id: item.id, from: item.status, to })),
    };
    for (const updated of result.items) settle(updated);
    state.selected.clear();
    say(`${result.items.length} comments ${PAST[to]} (one batch). Press u to undo.`);
  } catch (error) {
    if (handleCommonError(error)) return;
    // The ids the API refused are shown as they are now; nothing else moved.
    for (const id of Object.keys(error.fieldErrors || {})) {
      if (byId(Number(id))) await refreshItem(Number(id));
    }
    warn(`Nothing changed. ${problemText(error)}`);
  }
  render();
  await refreshCounts();
  focusCurrent();
}

// Decisions run one after another, in the order they were asked for: a key pressed while
// a call is out waits for it, and then acts on the queue as that call left it.
let pending = Promise.resolve();

function exclusive(work) {
  pending = pending.then(work).catch((error) => warn(problemText(error)));
  return pending;
}

// The key or button's target: the selection when there is one, else the current item.
function act(to) {
  return exclusive(async () => {
    if (state.selected.size) await decideMany([...state.selected], to);
    else if (state.items[state.current]) await decide(state.items[state.current], to);
  });
}

function undo() {
  return exclusive(() => state.last && undoLast());
}

async function undoLast() {
  const last = state.last;
  try {
    if (last.changes.length === 1) {
      // One item: PATCH with its ETag, so an undo never overwrites someone else's decision.
      const [{ id, to, from, etag }] = last.changes;
      let current = { id, status: to, etag };
      for (const { status } of undoSteps(last.changes)) {
        current = await api.decide(current, status);
      }
      say(`Undone: comment #${id} is ${from} again.`);
    } else {
      for (const { ids, status } of undoSteps(last.changes)) await api.batch(ids, status);
      say(`Undone: ${last.changes.length} comments are back where they were.`);
    }
    state.last = null;
  } catch (error) {
    state.last = null;
    if (!handleCommonError(error)) {
      const why = error.status === 412 ? "it was changed by someone else since" : problemText(error);
      warn(`Could not undo: ${why}.`);
    }
  }
  await reload();
  focusCurrent();
}

// --- events ---------------------------------------------------------------------------------

function readFilters() {
  const form = new FormData($("#filters"));
  for (const name of ["post", "type", "reason", "order"]) {
    state.filters[name] = String(form.get(name) || "").trim();
  }
}

async function applyFilters() {
  state.current = 0;
  state.selected.clear();
  await reload();
}

function wire() {
  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("#token").value;
    if (!value.trim()) {
      showSignIn("Paste a token first.");
      return;
    }
    signIn(value);
  });
  $("#sign-out").addEventListener("click", () => signOut("Signed out."));
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    readFilters();
    applyFilters();
  });
  for (const name of ["type", "order"]) {
    $(`#filter-${name}`).addEventListener("change", () => {
      readFilters();
      applyFilters();
    });
  }
  $("#statuses").addEventListener("click", (event) => {
    const button = event.target.closest("[data-status]");
    if (!button) return;
    state.filters.status = button.dataset.status;
    applyFilters();
  });
  $("#claim-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const limit = Number($("#claim-limit").value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      warn("Claim between 1 and 100 comments.");
      return;
    }
    claim(limit);
  });
  $("#release").addEventListener("click", release);
  $("#undo").addEventListener("click", undo);
  $("#more").addEventListener("click", loadMore);
  for (const button of document.querySelectorAll("[data-batch]")) {
    button.addEventListener("click", () => act(button.dataset.batch));
  }
  $("#queue").addEventListener("click", (event) => {
    const node = event.target.closest(".item");
    if (!node) return;
    const id = Number(node.dataset.id);
    state.current = state.items.findIndex((item) => item.id === id);
    const decideButton = event.target.closest("[data-decide]");
    if (decideButton) {
      exclusive(() => decide(byId(id), decideButton.dataset.decide));
    } else if (event.target.closest(".pick")) {
      toggleSelected(id);
    } else if (!event.target.closest("a, button")) {
      move(0);
    }
  });
  document.addEventListener("keydown", onKey);
  setInterval(renderLease, 1000);
}

const KEY_DECISIONS = { a: "approved", s: "spam", t: "trash", r: "pending" };

function onKey(event) {
  if ($("#console").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing =
    target.closest("select, textarea, [contenteditable]") ||
    (target.matches("input") && target.type !== "checkbox");
  if (typing) return;
  const item = state.items[state.current];
  if (event.key === "j") move(1);
  else if (event.key === "k") move(-1);
  else if (event.key === "x" && item) toggleSelected(item.id);
  else if (event.key in KEY_DECISIONS) act(KEY_DECISIONS[event.key]);
  else if (event.key === "u") undo();
  else return;
  event.preventDefault();
  if (event.key === "x") focusCurrent();
}

wire();
if (token.get()) signIn(token.get());
else showSignIn();
