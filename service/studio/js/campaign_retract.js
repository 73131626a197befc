// A campaign's recorded wave sends listed, and the last one taken back (as `campaign sent --retract`).

import { deleteJson } from "./api.js";
import { h, errorBox, holdButton, announce, pointerPressesSoFar } from "./ui.js";
import { utcTime } from "./campaign_report.js";

/** A recorded send said: its wave, and for a next wave (``next``: the plan continues
    another, numbering its waves from 1) the campaign's number of it (the send's
    ``campaign_wave``; null where the server reads the chain only in part), then its times. */
const waveSaid = (s, next = false) => `wave ${s.wave}${next ? campaignNumber(s) : ""}: `
  + `sent at ${s.sent_at_utc || utcTime(s.sent_at)}` + (s.recorded_at ? `, recorded ${s.recorded_at}` : "");
const campaignNumber = (s) => (s.campaign_wave === null || s.campaign_wave === undefined
  ? " of this plan (its number in the campaign is not known: a chain of plans longer than the server reads)"
  : ` of this plan, the campaign's wave ${s.campaign_wave}`);

/** The next wave of ``summary``'s plan whose link holds its sends (``next_waves`` but those
    withdrawn before any send: they re-plan nothing), of most ``sent_waves`` (``withdraw.next_wave_of``,
    the server's rule for a take-back); null when none. */
export function linkingNextWave(summary) {
  const live = (summary.next_waves || []).filter((n) => !(n.withdrawn && n.withdrawn.sent_waves === 0));
  return live.reduce((a, n) => (!a || n.sent_waves > a.sent_waves ? n : a), null);
}

/** The plan's recorded sends (``wave_sends``), each wave's send and record times, with "Take back"
    beside the last one (DELETE /campaigns/{id}/waves/{wave}/sent, ``campaign sent --retract``): it
    asks first, naming the wave and its time; the server takes back the plan's last recorded send
    only, and refuses one a next wave was planned after: not offered then, and said why beside the
    send (a next wave planned once the page was drawn: the refusal said, role=alert). Once taken back
    ``changed()`` reads the plan and the report again. ``list.follow(summary)`` draws the sends as
    read now (a confirmation being asked stays while they are the same); ``list.offer(on)`` shows or
    hides the button. */
export function recordedSends(planId, summary, changed) {
  const shown = h("div", { id: "recorded-sends" });
  const out = h("div", { id: "retract-out" });  // not a live region: announce says the answer
  const list = h("div", {}, shown, out);
  let drawn = null, offered = false, button = null;
  list.offer = (on) => {
    offered = on;
    if (button) button.hidden = !on;
    if (!on && out.querySelector("#retract-confirm")) out.replaceChildren();
  };
  list.follow = (read) => {
    const sends = [...(read.wave_sends || [])].sort((a, b) => a.wave - b.wave);
    const next = Boolean(read.previous_plan_id);  // a next wave: its waves numbered from 1
    const by = linkingNextWave(read);
    const key = sends.map((s) => `${s.wave}:${s.sent_at}:${s.campaign_wave}`).join(",")
      + (by ? `>${by.plan_id}:${by.sent_waves}` : "");
    if (key === drawn) return;
    drawn = key;
    out.replaceChildren(...out.querySelectorAll("#retract-done"));  // a question about other sends goes
    button = null;
    if (!sends.length) { shown.replaceChildren(); return; }
    const last = sends[sends.length - 1];
    // a next wave was planned after it: its link says the wave went out, and the server refuses
    // the take-back ("cannot be taken back: its next wave ... was planned after 1 sent wave(s)")
    const held = by && last.wave <= by.sent_waves;
    button = held ? null : h("button", { type: "button", class: "ghost", id: "retract-send", hidden: !offered || undefined,
      onclick: () => ask(last, next) }, `Take back wave ${last.wave}'s send`);
    const why = held ? h("span", { class: "note", id: "retract-held" }, ` (not to be taken back: its next wave `,
      h("a", { href: `#/campaigns/${encodeURIComponent(by.plan_id)}` }, by.plan_id),
      ` was planned after ${by.sent_waves === 1 ? "wave 1 was" : `waves 1–${by.sent_waves} were`} sent, so its link says the wave went out)`) : "";
    shown.replaceChildren(h("p", { class: "note" }, "Recorded sends (times in UTC):"),
      h("ul", {}, sends.map((s) => h("li", {}, waveSaid(s, next), s === last ? (button ? [" ", button] : why) : ""))));
  };
  const ask = (send, next) => {
    const asked = h("p", { id: "retract-asked" }, `Take back wave ${send.wave}'s recorded send (${waveSaid(send, next)})? `,
      `Its report then counts wave ${send.wave} from the plan's start until a send is recorded again; `,
      "take one back only if it was recorded by mistake (a wrong time, or a wave that has not gone out).");
    const confirm = h("button", { type: "button", id: "retract-confirm", onclick: () => take(send, confirm) },
      `Take back wave ${send.wave}'s send`);
    out.replaceChildren(asked, confirm, h("button", { type: "button", id: "retract-cancel", onclick: () => {
      out.replaceChildren();
      button?.focus();
    } }, "Cancel"));
    announce(asked.textContent);
    confirm.focus();
  };
  const take = async (send, confirm) => {
    const release = holdButton(confirm);
    const presses = pointerPressesSoFar();
    try {
      const r = await deleteJson(`/campaigns/${encodeURIComponent(planId)}/waves/${send.wave}/sent`);
      out.replaceChildren(h("p", { id: "retract-done", tabindex: -1 }, r.retracted
        ? `Wave ${r.wave}'s send (sent at ${r.retracted.sent_at_utc || utcTime(r.retracted.sent_at)}) was taken back: `
          + `its report counts it from the plan's start until a send is recorded again.`
        : `Wave ${r.wave} had no recorded send (taken back elsewhere meanwhile): nothing changed.`));
      announce(out.textContent);
      await changed();
      if (presses === pointerPressesSoFar() && document.activeElement === document.body) out.querySelector("#retract-done")?.focus();
    } catch (e) {
      // the server's refusal (a later send, a next wave planned after it), said in its words
      out.replaceChildren(errorBox(e));
      if (presses === pointerPressesSoFar() && document.activeElement === document.body) button?.focus();
    } finally { release(); }
  };
  list.follow(summary);
  return list;
}
