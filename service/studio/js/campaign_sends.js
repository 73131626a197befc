// A campaign's wave sends: the next wave's send recorded from the page (as `campaign sent`).

import { getJson, postJson } from "./api.js";
import { h, section, errorBox, refusal, holdButton, announce, pointerPressesSoFar } from "./ui.js";
import { utcTime } from "./campaign_report.js";
import { followWrites } from "./writes.js";
import { recordedSends } from "./campaign_retract.js";

// /health's campaign_store when the store takes no write: the form is not offered
const NO_WRITES = new Set(["read_only", "moved", "failing", "unavailable", "schema_newer", "damaged"]);

const pad = (n) => String(n).padStart(2, "0");

/** A Date as a datetime-local box holds it, to the second, in this browser's time. */
export function localInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The UTC offset of this browser's time at ``d`` ("+01:00", "-05:30"): its own for that
    date (summer time), not today's. */
export function utcOffset(d) {
  const m = -d.getTimezoneOffset();
  return `${m < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(m) / 60))}:${pad(Math.abs(m) % 60)}`;
}

/** A datetime-local box's value (seconds optional) as ISO 8601 with its UTC offset, as the server
    takes it; null when empty. The instant is the browser's: a time the clocks skip (02:30 on a
    spring change) is 03:30+02:00, not an hour before. */
export function isoWithOffset(value) {
  if (!value) return null;
  const d = new Date(value.length === 16 ? `${value}:00` : value.slice(0, 19));
  return Number.isNaN(d.getTime()) ? null : `${localInput(d)}${utcOffset(d)}`;
}

/** How a typed local time (``typed``, "2026-03-29T01:30:00") is said, read by this browser as
    ``when``: ``shown``, the time meant ("2026-03-29 01:30:00"); ``note``, a sentence when the
    clocks change around it; ``second``, the later instant of a time that happens twice.
    A time the clocks skip (01:30 on a spring change in London) is read as the instant an hour
    on (02:30+01:00, 00:30 before the change): said so, where the question named 01:30 beside
    an offset and a UTC time that contradicted it. A time that happens twice (01:30 on an
    autumn change) is read as the first (UTC+01:00); the second is offered (``second``). */
export function localTimeSaid(typed, when) {
  const said = (text) => text.replace("T", " ");
  const meant = localInput(when);
  if (meant !== typed) {
    return { shown: said(meant), second: null,
      note: `${said(typed)} does not exist in your time zone: the clocks moved forward that day, so it is read as ${said(meant)}. ` };
  }
  // the clocks go back within the next 3 hours: the same wall time comes again that much later
  const back = -new Date(when.getTime() + 3 * 3600e3).getTimezoneOffset() - -when.getTimezoneOffset();
  const later = back < 0 ? new Date(when.getTime() - back * 60e3) : null;
  if (later && localInput(later) === typed) {
    return { shown: said(typed), second: later,
      note: `${said(typed)} happens twice in your time zone that day (the clocks went back): this is the first, UTC${utcOffset(when)}. ` };
  }
  return { shown: said(typed), note: "", second: null };
}

/** When ``summary``'s plan was made (its ``created``, ISO 8601; one without an offset is UTC,
    as the server reads it), a Date; null when it cannot be read. */
export function planCreated(summary) {
  const text = summary && summary.created;
  if (typeof text !== "string") return null;
  const d = new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The send form's first time: now, or the plan's creation when later (a browser clock behind the
    server's: the server refuses a send before the plan). */
export function defaultSendTime(summary, now = new Date()) {
  const created = planCreated(summary);
  return created && created > now ? created : now;
}

/** The lowest wave of ``summary`` with no recorded send, among those that may have gone out
    (a withdrawal's sent waves at most); null when none is left. */
export function nextUnsent(summary) {
  const waves = (summary.parameters || {}).waves || 1;
  const gone = summary.withdrawn;
  const most = gone ? Math.min(gone.sent_waves, waves) : waves;
  const recorded = new Set((summary.wave_sends || []).map((s) => s.wave));
  for (let w = 1; w <= most; w += 1) if (!recorded.has(w)) return w;
  return null;
}

/** The next wave whose planning re-planned ``wave`` of ``summary`` (planned after fewer sent waves,
    withdrawn or not: the server refuses such a send and names the one of most waves sent,
    ``next_waves``' first); null when none did. */
export function replannedBy(summary, wave) {
  const first = (summary.next_waves || [])[0];
  return first && wave > first.sent_waves ? first : null;
}

/** The campaign's number of the wave a send answer ``r`` recorded (``campaign_wave``), for a next
    wave of ``summary``'s plan (numbered from 1); "" for a first plan. */
function campaignWave(summary, r) {
  if (!summary.previous_plan_id) return "";
  return r.campaign_wave === null || r.campaign_wave === undefined
    ? " (its number in the campaign is not known: a chain of plans longer than the server reads)"
    : ` (the campaign's wave ${r.campaign_wave}: this next wave numbers its waves from 1)`;
}

/** The section that records the next unsent wave's send (POST /campaigns/{id}/waves/{wave}/sent): a
    time (now by default, with its UTC offset shown), "Record send", its refusal (role=alert); once
    recorded ``recorded()`` reads the plan and the report again, and ``box.follow(summary)`` moves
    the form to the next wave. Offered only where the key may write (writes.js); a key whose rights
    changed opens the key dialog (postJson). */
export function sendSection(planId, summary, recorded) {
  const out = h("div", { id: "send-out" });  // not a live region: announce says the answer
  const form = h("div", { id: "send-form" });
  // the sends recorded, the last one taken back from here (one recorded by mistake)
  const sends = recordedSends(planId, summary, recorded);
  const box = section("Wave sends", h("p", { class: "note" }, "A wave's report counts its conversions from its recorded send ",
    "(else from the plan's start). Waves are recorded in order, and a send time is final: one recorded by mistake ",
    "is taken back (the plan's last, and none a next wave was planned after), then recorded again."), sends, form, out);
  let shown = null;  // the wave the form is for, and the next wave that re-planned it
  let closed = false;  // the store takes no writes: the note stays
  let denied = false;  // the key in use may not write: its note stays until it may
  let last = summary;  // the plan as last read, drawn once the key may write again
  box.follow = (read) => {  // the plan as read now (its summary)
    last = read;
    sends.follow(read);
    if (closed || denied) return;
    const wave = nextUnsent(read);
    // the server refuses it (the page knows why): said, not offered to be refused
    const by = wave === null ? null : replannedBy(read, wave);
    const key = `${wave}:${by ? by.plan_id : ""}`;
    if (key === shown && form.childNodes.length) return;  // a time being typed is kept
    shown = key;
    if (wave === null) {
      form.replaceChildren(h("p", { class: "note", id: "send-none" }, read.withdrawn && read.withdrawn.sent_waves === 0
        ? "No wave was sent (the withdrawal says so): no send to record."
        : "Every wave that went out has its send recorded."));
      return;
    }
    if (by) {
      const link = h("a", { href: `#/campaigns/${encodeURIComponent(by.plan_id)}` }, by.plan_id);
      form.replaceChildren(h("p", { class: "note", id: "send-replanned" }, `Wave ${wave} and later are not sent from this plan: its next wave `,
        link, ` was planned after ${by.sent_waves === 1 ? "wave 1 was" : `waves 1–${by.sent_waves} were`} sent, and re-plans the rest (record its sends there).`));
      return;
    }
    const started = defaultSendTime(read);
    const at = h("input", { id: "send-at", type: "datetime-local", step: 1, required: true, value: localInput(started) });
    const label = h("label", { for: "send-at" });
    const sayOffset = () => {  // the offset of the time typed (summer time), said in the label
      label.textContent = `Wave ${wave} went out at (your local time, UTC${utcOffset(at.value ? new Date(at.value) : started)})`;
    };
    sayOffset();
    // a time changed under a confirmation asked for another is taken back
    at.addEventListener("input", () => { sayOffset(); if (out.querySelector("#send-confirm")) out.replaceChildren(); });
    // a send time is final: the wave and time are named, and Record confirms them (as Withdraw
    // asks)
    const button = h("button", { type: "submit", id: "record-send", onclick: () => {
      const iso = isoWithOffset(at.value);
      if (!iso) { out.replaceChildren(refusal("type when the wave went out (a date and a time)", at)); return; }
      const typed = at.value.length === 16 ? `${at.value}:00` : at.value.slice(0, 19);
      const when = new Date(typed);
      const { shown, note, second } = localTimeSaid(typed, when);
      const asked = h("p", { id: "send-asked" }, `Record wave ${wave} as sent at ${shown} your time `,
        `(UTC${utcOffset(when)}; ${utcTime(Math.floor(when.getTime() / 1000))})? ${note}A send time is final: `,
        `wave ${wave}'s report counts from it, and it cannot be changed (only taken back, if recorded by mistake).`);
      const confirm = h("button", { type: "button", id: "send-confirm", onclick: () => send(iso) }, `Record wave ${wave}'s send`);
      // the second of a time that happens twice cannot be typed in the box: offered here
      const other = second ? [h("button", { type: "button", id: "send-confirm-second", onclick: () => send(`${localInput(second)}${utcOffset(second)}`) },
        `Record it at the second ${shown} (UTC${utcOffset(second)}; ${utcTime(Math.floor(second.getTime() / 1000))})`)] : [];
      // the final action and Cancel apart and unlike (as Withdraw's), brought into view
      const row = h("div", { class: "confirm-row" }, confirm, ...other,
        h("button", { type: "button", class: "ghost", id: "send-cancel", onclick: () => {
          out.replaceChildren();
          button.focus();
        } }, "Cancel"));
      out.replaceChildren(asked, row);
      announce(asked.textContent);
      confirm.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    } }, "Record send");
    const send = async (iso) => {
      // confirmed from the keyboard: the focus goes back to the form's button, where it stays after
      // a refusal (holdButton)
      if (document.activeElement?.id === "send-confirm") button.focus();
      const release = holdButton(button);
      out.replaceChildren(h("p", { class: "loading", role: "status" }, "Recording the send…"));
      try {
        const r = await postJson(`/campaigns/${encodeURIComponent(planId)}/waves/${wave}/sent`, { at: iso });
        out.replaceChildren(h("p", { id: "send-recorded", tabindex: -1 }, `Wave ${r.wave} recorded as sent at ${utcTime(r.sent_at)}`,
          campaignWave(read, r), r.already ? " (recorded so before)." : ": its report counts from then."));
        announce(out.textContent);
        const presses = pointerPressesSoFar();
        await recorded();
        // the form drawn for the next wave took the button away: the focus goes to the new form, or
        // to what was recorded (not after a click made meanwhile)
        if (!button.isConnected && presses === pointerPressesSoFar() && document.activeElement === document.body) {
          (form.querySelector("input") || out.querySelector("#send-recorded"))?.focus();
        }
      } catch (e) {
        out.replaceChildren(errorBox(e));
      } finally { release(); }
    };
    // Enter in the time records it: the submit is the button's click, held while one is recorded
    form.replaceChildren(h("form", { class: "row", novalidate: true, onsubmit: (e) => e.preventDefault() },
      label, at, button));
  };
  box.follow(summary);
  followWrites(box, "Recording a wave's send", "send-no-write", (note, known) => {
    if (closed) return;
    form.hidden = !known;  // not offered before /health says what the key may do
    sends.offer(known && !note);
    if (note) {
      denied = true;
      form.replaceChildren(note);
    } else if (denied) {
      denied = false;
      shown = null;
      box.follow(last);
    }
  });
  // the store refuses writes (a standby, a read-only disk): no form to fail
  getJson("/health", { background: true }).then((health) => {
    const state = health && health.campaign_store;
    if (!NO_WRITES.has(state)) return;
    form.replaceChildren(h("p", { class: "note", id: "send-read-only" },
      `The campaign store takes no writes now (/health: campaign_store ${state}): a send cannot be recorded here.`));
    form.hidden = false;
    closed = true;
    sends.offer(false);
  }).catch(() => {});
  return box;
}
