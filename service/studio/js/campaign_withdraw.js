// A campaign's withdrawal: after the waves sent or none, confirmed, then the page drawn again.

import { postJson, setHashParams } from "./api.js";
import { h, section, errorBox, pointerPressesSoFar, announce } from "./ui.js";
import { offerWrites } from "./writes.js";

/** Withdraw the campaign (POST /campaigns/{id}/withdraw): after the waves already sent, or
    none; each asks to be confirmed (it is final), then the page is drawn again
    (``redraw(params)``: the campaign's page, drawn with the address's ``params``). */
export function withdrawSection(view, planId, waves, sentWaves, known, redraw, basis = () => "") {
  // not a live region: what it asks is said in the page's status region (announce), its errors by
  // role=alert
  const out = h("div", { id: "withdraw-out" });
  const ask = (none) => {
    if (!none && !known()) { out.replaceChildren(errorBox("set “Waves already sent” first")); return; }
    const n = none ? 0 : sentWaves();
    out.style.minHeight = "";
    const go = h("button", { type: "button", id: "withdraw-confirm", onclick: async () => {
      // every button of the section waits for the answer, so no second withdrawal is sent meanwhile
      hold(true);
      const presses = pointerPressesSoFar();  // a click on the page meanwhile keeps its focus
      try {
        await postJson(`/campaigns/${encodeURIComponent(planId)}/withdraw`, { sent_waves: n });
        if (view.isConnected) {
          // the waves sent are the withdrawal's from now on; the window the marketer set stays
          const kept = new URLSearchParams(location.hash.split("?")[1] || "").get("window_days");
          setHashParams({ sent_waves: undefined });
          await redraw(new URLSearchParams(kept ? { window_days: kept } : {}));
          document.getElementById("withdrawn")?.focus();
        }
      } catch (e) {
        hold(false);
        out.replaceChildren(errorBox(e));
        // the confirmation went with the error: the focus goes back to the button that asked
        if (presses === pointerPressesSoFar() && document.activeElement === document.body) buttons.querySelector(none ? "#withdraw-none" : "#withdraw-sent")?.focus();
      }
    } }, "Withdraw");
    // which waves are taken as sent, and on what (``basis``): with no send recorded, the report's
    // default of every wave
    const asked = h("p", { id: "withdraw-asked" }, n === 0 ? "No wave of this campaign was sent: all its users go back to other campaigns of its films. "
      : [basis(n),
        // a plan of one wave read "All its wave was sent and keep their users"
        n >= waves ? `${waves === 1 ? "Its only wave keeps its" : `All ${waves} waves keep their`} users: no user goes back to other campaigns. `
          : `${n === 1 ? "Wave 1 keeps its" : `Waves 1–${n} keep their`} users; the users of the later waves go back to other campaigns of its films. `],
    "This is final: the campaign then has no next wave.");
    // the final action and Cancel apart (a gap) and unlike (Cancel secondary): on a phone they
    // touched and looked the same
    const row = h("div", { class: "confirm-row" }, go,
      // back to the button that asked (the focus fell to the body with the Cancel button)
      h("button", { type: "button", class: "ghost", id: "withdraw-cancel", onclick: () => {
        out.replaceChildren();
        out.style.minHeight = "";
        buttons.querySelector(none ? "#withdraw-none" : "#withdraw-sent")?.focus();
      } }, "Cancel"));
    out.replaceChildren(asked, row);
    // opened partly below a phone's screen: its buttons brought into view
    row.scrollIntoView({ block: "nearest" });
    announce(asked.textContent);
  };
  const buttons = h("div", { id: "withdraw-buttons" },
    h("button", { type: "button", id: "withdraw-sent", onclick: () => ask(false) }, "Withdraw after the waves already sent"),
    h("button", { type: "button", id: "withdraw-none", onclick: () => ask(true) }, "Withdraw: no wave was sent"), out);
  const hold = (on) => { for (const b of buttons.querySelectorAll("button")) b.disabled = on; };
  // a key that can only read is not offered a withdrawal (a write), said in their place
  offerWrites("Withdrawing a campaign", "withdraw-no-write",
    [...buttons.querySelectorAll("#withdraw-sent, #withdraw-none")], buttons);
  const box = section("Withdraw", h("p", { class: "note" }, "A stored campaign keeps its users for its films in every wave, sent or not, ",
    "so that no other campaign contacts its controls or holds out its targets. Stopping it gives back the users of the waves not sent."),
  buttons);
  // taken back in place, its height kept until the next ask (cleared, the page moved under the
  // pointer as the button was pressed)
  box.unask = () => {
    if (!out.querySelector("#withdraw-confirm:enabled")) return;
    out.style.minHeight = `${out.offsetHeight}px`;
    out.replaceChildren(h("p", { class: "note", id: "withdraw-taken-back" },
      "“Waves already sent” changed: the confirmation was taken back; ask again."));
    announce("“Waves already sent” changed: the confirmation was taken back; ask again.");
  };
  /** Next waves (``live``: GET /campaigns/{id}'s next_waves not withdrawn) were planned after
      this plan: the campaign is withdrawn in each, not here; none (``[]``): withdrawn here. */
  const asking = [...buttons.childNodes];  // the buttons and their answer, put back by goesOn([])
  box.goesOn = (live) => {
    // every next wave withdrawn since (another tab, the CLI): the plan can be withdrawn again
    if (!live.length) {
      if (buttons.querySelector("#withdraw-next")) buttons.replaceChildren(...asking);
      return;
    }
    const link = (n) => h("li", {}, h("a", { href: `#/campaigns/${encodeURIComponent(n.plan_id)}` }, n.plan_id),
      ` (planned after ${n.sent_waves === 1 ? "wave 1 was" : `waves 1–${n.sent_waves} were`} sent)`);
    buttons.replaceChildren(h("div", { class: "note", id: "withdraw-next" },
      live.length === 1 ? "A next wave was planned after this plan: the campaign goes on in it, and is withdrawn there"
        : `${live.length} next waves were planned after this plan: the campaign goes on in each of them, and is withdrawn in each`,
      " (the engine refuses to withdraw a plan with a next wave not withdrawn):", h("ul", {}, live.map(link))));
  };
  return box;
}
