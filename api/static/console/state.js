/* What the console holds in memory: the HTTP client (session, CSRF token, generation) and the
 * state of the open conversation, the pollers and agent assist. A reload means logging in again. */

import { createClient } from "../shared/http.js";
import { CONFLICT, FIELD } from "./labels.js";

export const QUEUE_MS = 2000;
export const HISTORY_MS = 1000;
export const ASSIST_DELAY_MS = 700;

let expired = () => {};

/** The page's client; `client.generation` bumps on every login and logout and stops stale pollers. */
export const client = createClient({
  loginPath: "/api/operator/login",
  fields: FIELD,
  conflict: CONFLICT,
  onExpired: (message) => expired(message),
});

/** What to do when a request finds the session gone (the session module sets it). */
export function onExpired(handler) { expired = handler; }

export const state = {
  user: null,
  queueTimer: null, historyTimer: null,
  conv: null, info: null, epoch: 0,        // the open conversation; epoch bumps when another one opens
  lastSeq: 0, seen: {}, missing: false,
  assistSeq: 0, assistTimer: null, assistAsked: "", assistFor: null,  // assistFor: the conversation whose packet filled the assist
  callNotes: [],                           // what the caller said before in this call (oldest first): read as its context
};

/** How many of the call's earlier notes the assist sends (the API takes at most 10). */
export const CALL_NOTES_SENT = 5;

/** "/api/operator/conversations/<id><tail>" */
export function convPath(id, tail) { return "/api/operator/conversations/" + encodeURIComponent(id) + (tail || ""); }
