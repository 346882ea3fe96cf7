// The public moderation API (/v1/moderation), from the browser. Errors are RFC 9457
// problem+json; they surface as ProblemError with the HTTP status and the problem.

const TOKEN_KEY = "marginalia.moderatorToken";

// sessionStorage: this tab only, gone when it closes; never a cookie or a URL.
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  // Batch refusals name each id: {"12": ["why"]}.
  get fieldErrors() {
    return this.problem.errors || {};
  }
}

async function call(method, path, { body, ifMatch } = {}) {
  const headers = {
    Accept: "application/json, application/problem+json",
    Authorization: `Bearer ${token.get()}`,
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ProblemError(0, {
      title: "Network error",
      detail: "The API could not be reached; check the connection and try again.",
    });
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    throw new ProblemError(response.status, data || { title: response.statusText });
  }
  return data;
}

const BASE = "/v1/moderation";

export function queryOf(filters) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value) query.set(name, value);
  }
  return query.toString();
}

export const api = {
  counts: () => call("GET", `${BASE}/counts`),
  // `next` from a previous page is a URL of this same API.
  list: (filters, next = null) =>
    call("GET", next || `${BASE}/comments?${queryOf({ limit: 50, ...filters })}`),
  get: (id) => call("GET", `${BASE}/comments/${id}`),
  decide: (item, status) =>
    call("PATCH", `${BASE}/comments/${item.id}`, { body: { status }, ifMatch: item.etag }),
  batch: (ids, status) => call("POST", `${BASE}/comments/batch`, { body: { ids, status } }),
  claim: (limit) => call("POST", `${BASE}/claims`, { body: { limit } }),
  release: () => call("DELETE", `${BASE}/claims`),
};
