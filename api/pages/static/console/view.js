// Rendering: DOM built with textContent and attributes, never HTML strings, except the
// API's comment body_html, which is already sanitised (nh3) and goes through DOMParser:
// scripts in parsed documents never run, and the page's CSP forbids inline script anyway.

import { STATUSES, allowed, verb } from "./decisions.js";

const template = document.getElementById("item-template");
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export const clock = (iso) => clockFormat.format(new Date(iso));

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function safeLink(url, text) {
  // The API validates URLs as http(s); checked again so no other scheme becomes a link.
  if (!/^https?:\/\//i.test(url || "")) return element("span", text || url);
  return element("a", text || url, { href: url, rel: "nofollow noopener noreferrer ugc" });
}

function time(iso) {
  return element("time", timeFormat.format(new Date(iso)), { datetime: iso });
}

// Belt and braces: nh3 already allowed none of these; they are dropped again here.
const INERT = "script, style, iframe, object, embed, link, meta, base, form";

export function sanitisedBody(html) {
  const parsed = new DOMParser().parseFromString(html || "", "text/html");
  for (const node of parsed.body.querySelectorAll(INERT)) node.remove();
  for (const node of parsed.body.querySelectorAll("*")) {
    for (const { name, value } of [...node.attributes]) {
      const scripted = /^\s*(javascript|vbscript|data):/i.test(value);
      if (name.startsWith("on") || name === "style" || (scripted && /^(href|src|action|formaction|xlink:href)$/.test(name))) {
        node.removeAttribute(name);
      }
    }
  }
  const fragment = document.createDocumentFragment();
  for (const node of [...parsed.body.childNodes]) fragment.append(document.adoptNode(node));
  return fragment;
}

export function renderCounts(nav, counts, current) {
  nav.replaceChildren(
    ...STATUSES.map((status) => {
      const button = element("button", null, {
        type: "button",
        "data-status": status,
        "aria-pressed": String(status === current),
      });
      button.append(
        element("span", status[0].toUpperCase() + status.slice(1)),
        " ",
        element("span", String(counts[status] ?? "–"), { class: "count" }),
      );
      return button;
    }),
  );
}

function authorLine(item) {
  const line = document.createDocumentFragment();
  line.append(element("strong", item.author_name || "(no name)"));
  if (item.author_email) {
    line.append(" · ", element("a", item.author_email, { href: `mailto:${item.author_email}` }));
  }
  if (item.author_url) line.append(" · ", safeLink(item.author_url));
  if (item.identity) {
    line.append(" · ", element("span", `signed in: ${item.identity.subject} @ ${item.identity.issuer}`));
  }
  if (item.ip_address) line.append(" · ", element("span", `IP ${item.ip_address}`));
  line.append(" · ", time(item.created_at));
  return line;
}

export function renderItem(item, { current, selected, mine }) {
  const node = template.content.firstElementChild.cloneNode(true);
  const article = node.querySelector("article");
  node.dataset.id = item.id;
  article.id = `comment-${item.id}`;
  article.setAttribute("aria-labelledby", `comment-${item.id}-title`);
  node.classList.toggle("current", current);
  node.classList.toggle("selected", selected);
  if (current) article.setAttribute("aria-current", "true");

  const pick = node.querySelector(".pick");
  pick.checked = selected;
  pick.id = `pick-${item.id}`;
  pick.setAttribute("aria-label", `Select comment ${item.id} by ${item.author_name}`);

  const title = node.querySelector(".title");
  title.id = `comment-${item.id}-title`;
  title.append(element("span", item.post.title), " ", element("span", `#${item.id}`, { class: "id" }));
  node.querySelector(".type").textContent = item.type;
  const state = node.querySelector(".state");
  state.textContent = item.status;
  state.classList.add(item.status);

  if (item.claim && new Date(item.claim.expires_at) > new Date()) {
    const badge = node.querySelector(".claim");
    badge.hidden = false;
    badge.textContent = mine
      ? `claimed by you until ${clock(item.claim.expires_at)}`
      : `taken by ${item.claim.token_name} until ${clock(item.claim.expires_at)}`;
    badge.classList.add(mine ? "mine" : "taken");
    node.classList.toggle("taken", !mine);
  }

  node.querySelector(".author").append(authorLine(item));
  if (item.parent) {
    const parent = node.querySelector(".parent");
    parent.hidden = false;
    parent.append(
      `In reply to #${item.parent.id} by `,
      element("strong", item.parent.author_name),
      ": ",
      element("q", item.parent.excerpt),
    );
  }
  if (item.type === "pingback" && item.source_url) {
    const source = node.querySelector(".source");
    source.hidden = false;
    source.append("From ", safeLink(item.source_url, item.source_title || item.source_url));
  }
  node.querySelector(".body").append(sanitisedBody(item.body_html));

  const reasons = node.querySelector(".reasons");
  for (const reason of item.reasons || []) {
    const entry = element("li");
    entry.append(element("code", reason.rule), " ", element("span", reason.verdict, { class: `verdict ${reason.verdict}` }), " ", reason.reason);
    reasons.append(entry);
  }

  const actions = node.querySelector(".actions");
  for (const to of ["approved", "spam", "trash", "pending"]) {
    if (!allowed(item.status, to)) continue;
    actions.append(
      element("button", verb(item.status, to), {
        type: "button",
        class: `decide ${to}`,
        "data-decide": to,
        "aria-label": `${verb(item.status, to)} comment ${item.id}`,
      }),
    );
  }
  return node;
}
