// A campaign's chain of plans: a next wave names the plan it continues and the campaign's wave numbers, a plan its next waves.

import { h } from "./ui.js";

const link = (id) => h("a", { href: `#/campaigns/${encodeURIComponent(id)}` }, id);
const span = (a, b) => (a === b ? `wave ${a}` : `waves ${a}–${b}`);

/** The campaign's waves before ``summary``'s plan (the sent waves each plan up its chain was
    continued after) and the chain's first plan, from GET /campaigns/{id}'s ``chain`` (its earlier
    plans, nearest first); null for a plan that continues none. A chain the server cut
    (``chain_cut``) gives ``known`` false, the count a lower bound. */
export function chainAbove(summary) {
  if (!summary || !summary.previous_plan_id) return null;
  const chain = Array.isArray(summary.chain) ? summary.chain : [];
  if (!chain.length) return { before: Number(summary.sent_waves) || 0, first: summary.previous_plan_id, known: false };
  const before = chain.reduce((n, p) => n + (Number(p.sent_waves) || 0), 0);
  return { before, first: chain[chain.length - 1].plan_id, known: !summary.chain_cut };
}

/** The page's paragraph on the chain (#campaign-chain): the plan this next wave continues (a link),
    after which of its waves, and this plan's waves as the campaign counts them; its next waves
    (links), and theirs. Empty for a plan with neither. ``later``: GET /campaigns/{id}'s next_waves. */
export function chainParagraph(summary, later, above) {
  const waves = (summary.parameters || {}).waves || 1;
  const parts = [];
  if (summary.previous_plan_id) {
    const n = Number(summary.sent_waves) || 0;
    const before = above ? above.before : n;
    parts.push("This plan is a next wave of ", link(summary.previous_plan_id),
      `, planned after ${n === 1 ? "its wave 1 was" : `its waves 1–${n} were`} sent: its ${span(1, waves)} `,
      `${waves === 1 ? "is" : "are"} ${span(before + 1, before + waves)} of the campaign`,
      above && above.first !== summary.previous_plan_id ? [" (which began with ", link(above.first), ")"] : "",
      above && !above.known ? " (counted from the plans that could be read)" : "", ". ");
  }
  const going = (later || []).filter((w) => !w.withdrawn || w.withdrawn.sent_waves > 0);
  if (going.length) {
    parts.push(going.length === 1 ? "Continued in its next wave " : `Continued in ${going.length} next waves (each re-plans the same remaining budget): `,
      ...going.flatMap((w, i) => [i ? ", " : "", link(w.plan_id), ` (planned after ${span(1, w.sent_waves)} here${w.withdrawn ? ", since withdrawn" : ""})`]),
      ": send the later waves from there.");
  }
  return h("p", { class: parts.length ? "note" : "", id: "campaign-chain", hidden: !parts.length || undefined }, ...parts);
}
