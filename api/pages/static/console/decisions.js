// Moderation transitions (the API's contract) and how to take a decision back.

export const STATUSES = ["pending", "approved", "spam", "trash"];

const TRANSITIONS = {
  pending: ["approved", "spam", "trash"],
  approved: ["pending", "spam", "trash"],
  spam: ["pending", "trash"],
  trash: ["pending"],
};

export function allowed(from, to) {
  return (TRANSITIONS[from] || []).includes(to);
}

// What a button or key that moves an item to `to` is called, from where it is now.
export function verb(from, to) {
  if (to === "pending") return from === "approved" ? "Unapprove" : "Restore";
  return { approved: "Approve", spam: "Spam", trash: "Trash" }[to];
}

export const PAST = {
  approved: "approved",
  spam: "marked as spam",
  trash: "trashed",
  pending: "back in the queue",
};

// The statuses an item goes through to get from `current` back to `previous`: directly
// when that is a legal transition, otherwise through pending (spam -> pending -> approved).
export function pathBack(current, previous) {
  if (current === previous) return [];
  if (allowed(current, previous)) return [previous];
  return ["pending", previous];
}

// The undo of a decision as batch calls: [{ids, status}] in order. `changes` are
// {id, from, to}; ids that came from the same status go back together.
export function undoSteps(changes) {
  const byOrigin = new Map();
  for (const change of changes) {
    const key = `${change.to}>${change.from}`;
    if (!byOrigin.has(key)) byOrigin.set(key, { change, ids: [] });
    byOrigin.get(key).ids.push(change.id);
  }
  const steps = [];
  for (const { change, ids } of byOrigin.values()) {
    for (const status of pathBack(change.to, change.from)) steps.push({ ids, status });
  }
  return steps;
}
