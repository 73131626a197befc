// Campaigns: stored plans, their reports (campaign_report.js), the next wave, withdrawal and sends.

import { getJson, pageNow, pageRedrawn, postJson, query, setHashParams } from "./api.js";
import { planSummary, downloadNote } from "./plan.js";
import { withdrawSection } from "./campaign_withdraw.js";
import { reportView } from "./campaign_report.js";
import { sendSection } from "./campaign_sends.js";
import { linkingNextWave } from "./campaign_retract.js";
import { chainAbove, chainParagraph } from "./campaign_chain.js";
import { wholeCampaign } from "./campaign_whole.js";
import { offerWrites } from "./writes.js";
import { h, int, expectedCount, days, section, table, errorBox, refusal, sentence,
  ignoredSettings, wholeNumber, offsetSetting, holdButton, focusGoingInto, focusInto,
  announce, reloadPage } from "./ui.js";

/** A campaign that cannot be shown: a heading and the way back to the list, as the film page does. */
function campaignError(view, planId, e) {
  const back = h("a", { href: "#/campaigns" }, "See the stored campaigns");
  if (e.status === 404) {
    view.replaceChildren(h("h1", {}, "Campaign not found"), h("div", { class: "error", role: "alert" },
      `No campaign with id “${planId}”: ${sentence(e.message)} `, back, "."));
    return;
  }
  view.replaceChildren(h("h1", {}, e.status === 401 || e.status === 403 ? "A key is needed"
    : "The campaign could not be shown"), errorBox(e, reloadPage), h("p", {}, back, "."));
}

async function detail(view, planId, params) {
  // the page this one is while shown: ``view.isConnected`` alone still held while the router
  // replaced it
  const drawnAs = pageNow();
  const shown = () => view.isConnected && pageNow() === drawnAs;
  // no stored plan's id holds a "/" or is a dot segment (they are plan-<hex>): such an id would
  // reach another route and its answer be drawn as a plan; so would an answer for any other plan
  const unknown = () => campaignError(view, planId,
    Object.assign(new Error(`unknown plan_id '${planId}'`), { status: 404 }));
  if (planId.includes("/") || planId === "." || planId === "..") { unknown(); return; }
  let plan;
  try {
    plan = await getJson(`/campaigns/${encodeURIComponent(planId)}`);
  } catch (e) {
    campaignError(view, planId, e);
    return;
  }
  if (!plan || plan.plan_id !== planId || !plan.summary) { unknown(); return; }
  // a next wave names the plan it continues, and the campaign's numbers of its waves
  const above = chainAbove(plan.summary);
  // no live region here (it read a report's tables out at each change): the page's status region
  // says each answer (announce), errors their role=alert boxes
  const out = h("div", { id: "next-wave-out" });
  const waves = (plan.summary.parameters || {}).waves || 1;
  // a withdrawn campaign sent its waves 1..N and no more: the box, the address and the report count
  // up to N (more is the server's refusal)
  const gone = plan.summary.withdrawn;
  const kept = gone && gone.sent_waves > 0 ? Math.min(gone.sent_waves, waves) : waves;
  // a next wave planned after N sent waves re-plans the rest: its later waves were never sent from
  // this plan, and the server's report refuses more than N ("sent_waves must be in [1, N]"); the
  // next waves as read now (followNextWaves)
  const cut = () => { const by = linkingNextWave(plan.summary); return by && by.sent_waves < kept ? by : null; };
  // the box takes the plan's waves (a next wave can still be planned after more sent waves than
  // an existing one was: the server plans it); the report of more than cut()'s is refused, and
  // the note beside the box says so before it is asked
  const most = () => kept;
  const mostWhy = () => (most() < waves ? " (the campaign was withdrawn after them)" : "");
  const cutWhy = () => ` (its next wave ${cut().plan_id} was planned after ${cut().sent_waves === 1 ? "wave 1 was" : `waves 1–${cut().sent_waves} were`} sent, and re-plans the rest: its report counts the later waves)`;
  // the waves sent and the window are kept in the page's address; a number the plan cannot have is
  // not read
  const sentFromUrl = wholeNumber(params && params.get("sent_waves"), 1, most()) ?? undefined;
  // said above the page, not dropped unsaid; not above the page the user moved on to
  if (shown() && params?.get("sent_waves") && sentFromUrl === undefined) {
    ignoredSettings([["sent_waves", params.get("sent_waves"), `waves already sent must be a whole number from 1 to ${most()}${mostWhy()}: the server's default is used`]]);
  }
  // empty until the server's default is known: a 1 shown meanwhile would read as "1 sent"
  const sent = h("input", { id: "sent-waves", type: "number", min: 1, max: most(), "aria-describedby": "sent-limit",
    value: sentFromUrl ?? "", placeholder: "reading…" });
  // the report covers the waves sent (later waves' users were never contacted: counting
  // them would dilute the uplift); the same number plans the next wave
  const reportBox = h("div", { id: "report" });
  // the whole campaign: every plan of the chain up to this one, and the uplift pooled
  const whole = wholeCampaign(planId, plan.summary);
  // the number used is written back to the box, and said when it is not what was typed (with the
  // report asked: announce)
  const clamped = h("p", { class: "warning", id: "sent-clamped" });
  // what the report of this plan counts at most, and why, when a next wave re-planned later waves
  const limit = h("p", { class: "note", id: "sent-limit" });
  const sayLimit = () => {
    sent.max = most();
    limit.textContent = cut() ? `This plan's report counts at most ${cut().sent_waves === 1 ? "wave 1" : `waves 1–${cut().sent_waves}`}${cutWhy()}; a report of more is refused, and a next wave can still be planned after more.` : "";
  };
  sayLimit();
  // with no send recorded (and no next wave or withdrawal), the server's default counts every wave:
  // said beside the box, as if not known sent; the withdrawal says it too (sentBasis)
  const assumed = h("p", { class: "warning", id: "sent-assumed" });
  let shownReport = null;  // the report drawn last: where its waves sent came from
  let sendsNow = plan.summary.wave_sends || [];  // the plan's recorded sends, as read last
  // a wave's window starts at its recorded send (wave_starts), and the label says so; with no
  // report drawn (refused), as the plan's recorded sends say (wave 1's, if any, is always counted)
  const fromSends = () => (shownReport ? (shownReport.wave_starts || []).some((w) => w.source === "recorded")
    : sendsNow.length > 0);
  const windowLabel = h("label", { for: "report-window" });
  const sayWindow = () => {
    windowLabel.textContent = fromSends()
      ? "Report window (days after each wave's recorded send a conversion counts; for a wave with none, after an earlier wave's, else the plan's creation)"
      : "Report window (days after the plan's creation a conversion counts; after a wave's send once it is recorded)";
  };
  sayWindow();
  const sayAssumed = () => {
    const source = shownReport ? shownReport.sent_waves_source || "" : "";
    assumed.textContent = source.startsWith("default") && String(shownReport.sent_waves) === sent.value.trim()
      ? (waves === 1 ? "No send recorded: the report assumes the plan's one wave went out, as nothing says it did not. Record its send (Wave sends, below)."
        : `No send recorded: the report assumes all ${waves} waves went out, as nothing says fewer did. Set the waves actually sent, or record each send (Wave sends, below).`)
      : "";
  };
  sent.addEventListener("input", () => { assumed.textContent = ""; });
  /** Why ``n`` waves are taken as sent, for the withdrawal's confirmation. */
  const sentBasis = (n) => {
    const r = shownReport || {};
    const source = r.sent_waves_source || "", recorded = r.recorded_waves || [];
    const said = recorded.length ? `sends recorded: wave${recorded.length === 1 ? "" : "s"} ${recorded.join(", ")}` : "no send recorded";
    if (source.startsWith("default") && String(r.sent_waves) === String(n)) {
      return `Taken as sent: ${n === 1 ? "wave 1" : `waves 1–${n}`}, the report's assumption (no send recorded, nothing says fewer went out), not a record: set “Waves already sent” first if fewer went out. `;
    }
    if (source.startsWith("recorded") && String(r.sent_waves) === String(n)) {
      return `Taken as sent: ${n === 1 ? "wave 1" : `waves 1–${n}`}, as the recorded sends say (${said}). `;
    }
    return `Taken as sent: ${n === 1 ? "wave 1" : `waves 1–${n}`}, as “Waves already sent” says (${said}). `;
  };
  const sentWaves = () => {
    const typed = sent.value;
    const used = Math.min(most(), Math.max(1, Math.floor(Number(sent.value)) || 1));
    sent.value = used;
    clamped.textContent = String(used) === typed.trim() ? ""
      : `Waves already sent must be a whole number from 1 to ${most()}${mostWhy()}: “${typed}” was read as ${used}.`;
    return used;
  };
  // the report's window: conversions within this many days of the plan count (the server's default
  // until one is typed; the CLI's --window-days). Only decimals are read ("0x10", "+30", "3e1" are
  // not): one that is not is said
  const typedWindow = (params && params.get("window_days")) || "";
  const windowFromUrl = /^[0-9]*\.?[0-9]+$/.test(typedWindow) ? typedWindow : undefined;
  if (shown() && typedWindow && windowFromUrl === undefined) {
    ignoredSettings([["window_days", typedWindow, "the report window must be a number of days in decimals, from 1 second (1/86400) to 3650: the server's default is used"]]);
  }
  const windowDays = h("input", { id: "report-window", type: "number", min: 1 / 86400, max: 3650, step: "any", "aria-describedby": "report-window-day",
    value: windowFromUrl });
  let asked = 0;
  let lastGiven;  // the waves sent the report shown was asked with (undefined: the server's)
  // ``fromBox``: asked by a box's change; a box left with Tab asks as the focus moves into the
  // report drawn again: the focus goes to the new report's first control, where the Tab was going.
  // ``follow``: the plan is read again with the report, so next waves planned since (another tab,
  // the CLI) are named in its wording
  const loadReport = async (given, fromBox = false, follow = true) => {
    const mine = ++asked, going = fromBox && focusGoingInto(reportBox);
    lastGiven = given;
    if (!windowDays.checkValidity()) {  // said, not dropped for the server's default
      reportBox.replaceChildren(refusal(`the report window must be a number of days from 1 second (1/86400) to 3650, got “${windowDays.value || windowDays.validationMessage}”`, windowDays));
      waitForSent();
      return;
    }
    // the box keeps its height while the report is read: a shrinking box moved the sections below
    // under a click made as the waves-sent box lost the focus
    reportBox.style.minHeight = `${reportBox.offsetHeight}px`;
    reportBox.replaceChildren(h("p", { class: "loading", role: "status" }, "Reading the report…"));
    const typed = windowDays.value, sentBefore = sent.value;  // the boxes as this request read them
    const windowAsked = typed ? Number(typed) : undefined;  // not ``days``: the format's name
    // the number the box read, in decimals, as the address is read: in the box's range it is never
    // written with an exponent
    if (shown()) setHashParams({ sent_waves: given, window_days: windowAsked });  // not from a page left behind
    whole.load(given, windowAsked);  // the chain's report, for the same waves and window
    const [report, again] = await Promise.all([
      getJson(`/campaigns/${encodeURIComponent(planId)}/report${query({ sent_waves: given, window_days: windowAsked })}`)
        .catch((e) => e),
      follow ? getJson(`/campaigns/${encodeURIComponent(planId)}`).catch(() => null) : null]);
    if (mine !== asked) return;
    if (again && again.plan_id === planId && again.summary) {
      sendsNow = again.summary.wave_sends || [];
      followNextWaves(again.summary.next_waves || []);
      sendBox?.follow(again.summary);  // a send recorded (here, elsewhere): the next wave's form
    }
    if (!(report instanceof Error) && given === undefined && sent.value === sentBefore) sent.value = report.sent_waves;
    // the window the server used, unless the box was changed while the report was read (a value
    // typed then would be overwritten)
    if (!(report instanceof Error) && windowDays.value === typed) windowDays.value = report.window_days;
    shownReport = report instanceof Error ? null : report;
    sayAssumed();
    sayWindow();
    reportBox.replaceChildren(report instanceof Error ? errorBox(report, () => loadReport(given, fromBox, follow))
      : reportView(report, plan.summary.next_waves || []));
    reportBox.style.minHeight = "";
    waitForSent();
    focusInto(reportBox, going);
    // a report asked by a box's change is said (the page's first is the page's: the router)
    if (fromBox && shown() && !(report instanceof Error)) {
      announce(`${clamped.textContent ? `${clamped.textContent} ` : ""}Report: ${report.sent_waves === 1 ? "wave 1" : `waves 1–${report.sent_waves}`} sent, conversions within ${days(report.window_days)} days of ${fromSends() ? "each wave's start (its recorded send, else the plan)" : "the plan"}.`);
    }
  };
  // the next wave waits for the waves sent: after a failed report a click would plan it as if 1 was
  // sent
  const waitForSent = () => { next.disabled = sent.value.trim() === ""; };
  sent.addEventListener("input", waitForSent);
  // a confirmation asked before the number changed would withdraw after the old number, beside a
  // box that says another: it is taken back (not once the page is left)
  sent.addEventListener("change", () => {
    if (!shown()) return;
    withdrawBox?.unask();
    loadReport(sentWaves(), true);
  });
  // an empty box stays the server's default (it was read as 1, and said so)
  windowDays.addEventListener("change", () => {
    if (shown()) loadReport(sent.value.trim() === "" ? undefined : sentWaves(), true);
  });
  // films left out from the next wave on (budget 0, their users' cap free for the others): by name,
  // or those whose sent waves measured no effect (the report's intervals)
  const filmsOf = plan.summary.films || [];
  const leaveBoxes = filmsOf.map((f, i) => h("input", { type: "checkbox", id: `leave-out-${i}`, value: f.film_id }));
  // a campaign planned with a control share of 0 has no control group, in this wave or the next: no
  // effect is measured to leave a film out by
  const controls = ((plan.summary.parameters || {}).holdout || 0) > 0;
  const leaveFlat = h("input", { type: "checkbox", id: "leave-out-no-effect", disabled: !controls || undefined });
  const leaveOut = h("fieldset", { id: "leave-out" }, h("legend", {}, "Leave out of the next wave (their remaining budget is not planned, from this wave on)"),
    h("div", {}, leaveFlat, h("label", { for: "leave-out-no-effect" }, "Films whose sent waves measured no effect (the whole 95% interval of the uplift at or below 0)",
      controls ? "" : ": none is measured without a control group")),
    ...filmsOf.map((f, i) => h("div", {}, leaveBoxes[i], h("label", { for: `leave-out-${i}` }, f.title ? `${f.title} (${f.film_id})` : f.film_id))));
  const leaving = () => {  // only what was ticked: the request is the API's default otherwise
    const ids = leaveBoxes.filter((b) => b.checked).map((b) => b.value);
    return { ...(ids.length ? { leave_out_film_ids: ids } : {}), ...(leaveFlat.checked ? { leave_out_no_effect: true } : {}) };
  };
  const next = h("button", { type: "button", id: "next-wave", onclick: async () => {
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Planning the next wave…"));
    const release = holdButton(next);  // one next wave per click: a second click stored a second one
    try {
      const n = sentWaves();
      const r = await postJson(`/campaigns/${encodeURIComponent(planId)}/next`,
        { sent_waves: n, ...leaving() }, { once: true });
      // named at once in this page's wording (the note, the withdrawal, the report's)
      if (!later.some((w) => w.plan_id === r.plan_id)) {
        followNextWaves([{ plan_id: r.plan_id, sent_waves: n, withdrawn: null }, ...later]);
      }
      out.replaceChildren(h("p", { id: "next-wave-planned" }, "Next wave planned: ",
        h("a", { href: `#/campaigns/${encodeURIComponent(r.plan_id)}` }, r.plan_id), "."));
      // not from a page left while it was planned: it took the user from the page they went to
      if (shown()) location.hash = `#/campaigns/${encodeURIComponent(r.plan_id)}`;
    } catch (e) {
      out.replaceChildren(errorBox(e, () => next.click()));
      // refused (409: a next wave planned meanwhile elsewhere holds the pairs): the plan is read
      // again, so the page names its next waves
      getJson(`/campaigns/${encodeURIComponent(planId)}`).then((again) => {
        if (shown() && again && again.plan_id === planId && again.summary) followNextWaves(again.summary.next_waves || []);
      }).catch(() => {});
    } finally { release(); }
  } }, "Plan the next wave");
  let later = plan.summary.next_waves || [];
  const live = () => later.filter((n) => !n.withdrawn);
  const replans = () => later.filter((n) => !n.withdrawn || n.withdrawn.sent_waves > 0);  // none sent: no re-plan
  const already = () => (replans().length ? ` This plan has ${replans().length === 1 ? "a next wave" : `${replans().length} next waves`} already (${replans().map((n) => n.plan_id).join(", ")}): another plans the same remaining budget again.` : "");
  const nextNote = h("p", { class: "note", id: "next-wave-note" }, "Re-plans each film's remaining budget: converted users and users ",
    "contacted up to the cap are out, scores use what the events taught, and ",
    controls ? "a new control group is drawn." : "no control group is drawn (this campaign's control share is 0).");
  const saidAlready = document.createTextNode(already());
  nextNote.append(saidAlready);
  /** The page's wording follows ``waves`` (GET /campaigns/{id}'s next_waves as read now): the
      note, the withdrawal, and the report drawn next. */
  const followNextWaves = (waves) => {
    later = waves;
    plan.summary.next_waves = waves;
    saidAlready.textContent = already();
    sayLimit();  // a next wave planned after fewer waves: the box takes no more
    view.querySelector("#plan-download-note")?.replaceWith(downloadNote(plan.summary));  // what the download holds now
    view.querySelector("#campaign-chain")?.replaceWith(chainParagraph(plan.summary, waves, above));
    withdrawBox?.goesOn(live());  // none left: its buttons come back
  };
  // the next unsent wave's send, recorded here; once stored, the plan and the report are read
  // again (that wave's window starts at its send)
  const sendBox = gone && gone.sent_waves === 0 ? null
    : sendSection(planId, plan.summary, () => loadReport(lastGiven, false, true));
  const withdrawBox = gone ? null : withdrawSection(view, planId, waves, sentWaves, () => sent.value.trim() !== "",
    // drawn again as a page of its own: this draw's boxes and reports write no more
    (again) => { pageRedrawn(); return detail(view, planId, again); }, sentBasis);
  view.replaceChildren(h("h1", {}, `Campaign ${planId}`), chainParagraph(plan.summary, later, above),
    // focusable: the withdrawal redraws the page under the confirm button, and the focus is moved
    // here (not left on the body)
    gone ? h("p", { class: "warning", id: "withdrawn", tabindex: -1 }, `Withdrawn ${gone.at}: `,
      gone.sent_waves >= waves ? `every wave was sent (${waves}), and its users stay held for its films. It has no next wave.`
        // none sent: every user is free
        : gone.sent_waves === 0 ? "no wave was sent, and all its users are free for other campaigns of its films. It has no next wave."
          : [`${gone.sent_waves === 1 ? "wave 1 was" : `waves 1–${gone.sent_waves} were`} sent, `,
            "and the users of its later waves are free for other campaigns of its films. It has no next wave."]) : "",
    // withdrawn before any wave went out: no report, so no box of waves sent
    section("Plan", ...planSummary(planId, plan.summary), gone && gone.sent_waves === 0 ? "" : [
      h("div", { class: "row" }, h("label", { for: "sent-waves" }, gone ? `Waves already sent (of ${waves}; the withdrawal says ${gone.sent_waves}): the report counts these` : `Waves already sent (of ${waves}): the report and the next wave count these`), sent,
        windowLabel, windowDays, h("span", { class: "note", id: "report-window-day" }, `(${DAY_RULE})`)),
      limit, clamped, assumed]),
    gone && gone.sent_waves === 0 ? "" : reportBox,
    whole.box,
    sendBox || "",
    gone ? "" : section("Next wave", nextNote, leaveOut, next, out),
    withdrawBox || "");
  // a key that can only read is not offered the next wave (a write: it is stored)
  if (!gone) offerWrites("Planning the next wave", "next-wave-no-write", [leaveOut, next], next);
  if (gone && gone.sent_waves === 0) return;  // no wave sent: nothing to report
  next.disabled = true;  // until the waves sent are known (the box is empty before)
  // the next waves planned after this plan, not withdrawn: the campaign goes on in each, and the
  // server refuses to withdraw this one; every one is named (the report's default names only the
  // one of most waves sent)
  if (withdrawBox && live().length) withdrawBox.goesOn(live());
  await loadReport(sentFromUrl, false, false);  // the plan was just read  // then enabled once the box holds a number (waitForSent)
}

const LIST_PAGE = 100;
// what a day of the report's window is: recommender/campaigns/report_windows.py's DAY_RULE,
// word for word (tests/browser/test_studio_window_day.py holds them equal)
const DAY_RULE = "a day is 86,400 seconds, not a calendar day: across a change of the clocks (summer time) a window ends at another local time of day than it starts";

/** A listed plan's place in its campaign: the plan it continues (a link, after which of its waves),
    and its next waves as the server names them (next_plan_ids: on any page, none withdrawn before a
    send). */
function chainMark(row) {
  const link = (id) => h("a", { href: `#/campaigns/${encodeURIComponent(id)}` }, id);
  const up = row.previous_plan_id, n = row.previous_sent_waves;
  const down = (row.next_plan_ids || []).filter((p) => p !== row.plan_id);
  if (!up && !down.length) return "";
  return h("span", { class: "note plan-chain" },
    up ? [" (next wave of ", link(up), n ? `, after its ${n === 1 ? "wave 1" : `waves 1–${n}`}: the same campaign` : ": the same campaign", ")"] : "",
    down.length ? [" (continued in ", ...down.flatMap((p, i) => [i ? ", " : "", link(p)]), ")"] : "");
}

/** What a withdrawn plan's row's figures are, from a server that gives no figure per wave (no
    ``sent_totals``): the whole plan's (``short``: said again in the next cell); "" for a plan not
    withdrawn, or one whose row says what went out. */
function wholePlan(row, short = false) {
  const gone = row.withdrawn;
  if (!gone || row.sent_totals) return "";
  return h("span", { class: "hint plan-whole" }, short ? " (the whole plan, all its waves)" : gone.sent_waves === 0
    ? " (the whole plan as planned; withdrawn before any wave was sent, none went out)"
    : ` (the whole plan, all its waves: withdrawn after wave ${int(gone.sent_waves)}; the list gives no figures per wave)`);
}

/** "wave 2", "waves 1–3", "waves 1, 3": the numbers of ``waves`` (ascending). */
function waveNames(waves) {
  const n = waves.map((w) => w.wave);
  const run = n.length > 1 && n[n.length - 1] - n[0] === n.length - 1;
  return n.length === 1 ? `wave ${n[0]}` : run ? `waves ${n[0]}–${n[n.length - 1]}` : `waves ${n.join(", ")}`;
}

/** The contacts and expected conversions of ``waves`` (GET /campaigns's per_wave entries). */
function waveFigures(waves) {
  const contacts = waves.reduce((t, w) => t + w.targets, 0);
  const conv = waves.reduce((t, w) => t + w.expected_conversions, 0);
  return `${int(contacts)} contact${contacts === 1 ? "" : "s"}, ${expectedCount(conv)} expected conversions`;
}

/** What of a plan went out and what is still planned, per wave (GET /campaigns's per_wave and
    sent_totals), so a withdrawn or part-sent plan does not read as all sent. */
function sentPlanned(row) {
  const waves = row.per_wave;
  if (!row.sent_totals || !Array.isArray(waves)) return "";  // an older server: wholePlan says it
  const of = `${int(row.sent_totals.waves)} of ${int(row.planned_waves)} wave${row.planned_waves === 1 ? "" : "s"}`;
  const sent = waves.filter((w) => w.sent), unsent = waves.filter((w) => w.withdrawn_unsent);
  const replanned = waves.filter((w) => w.replanned);
  const pending = waves.filter((w) => !w.sent && !w.withdrawn_unsent && !w.replanned);
  const line = (cls, text) => h("span", { class: `plan-waves ${cls}` }, text);
  return [
    line("plan-sent", sent.length ? `Sent ${of} (${waveNames(sent)}): ${waveFigures(sent)}.`
      : `Sent ${of}${pending.length ? ": no send recorded" : ""}.`),
    pending.length ? [" ", line("plan-pending", `Still planned: ${waveNames(pending)}, ${waveFigures(pending)}.`)] : "",
    unsent.length ? [" ", line("plan-unsent", `Withdrawn unsent: ${waveNames(unsent)}, ${waveFigures(unsent)}.`)] : "",
    replanned.length ? [" ", line("plan-replanned", `Re-planned in a next wave: ${waveNames(replanned)}.`)] : ""];
}

export async function campaigns(view, rest, params) {
  if (rest) {
    let planId = rest;  // a malformed escape ("%" typed in the address) is read as written
    try { planId = decodeURIComponent(rest); } catch { /* URIError: keep the text */ }
    await detail(view, planId, params);
    return;
  }
  // a bad offset is ignored, and said
  const offset = offsetSetting(params, "the plans to skip must be a whole number from 0: the newest are shown");
  let body;
  try {
    body = await getJson(`/campaigns${query({ limit: LIST_PAGE, offset })}`);
  } catch (e) {  // said under the page's heading (a store down or a key left only the error)
    view.replaceChildren(h("h1", {}, e.status === 401 || e.status === 403 ? "A key is needed" : "Campaigns"),
      errorBox(e, reloadPage));
    return;
  }
  const page = (o) => { location.hash = `#/campaigns${query({ offset: o || "" })}`; };
  // every plan can be reached: the list used to stop at the newest 100
  const pager = body.total > LIST_PAGE ? h("div", { class: "pager" },
    h("button", { type: "button", disabled: offset === 0 || undefined,
      onclick: () => page(Math.max(0, offset - LIST_PAGE)) }, "Newer"),
    h("button", { type: "button", disabled: offset + body.plans.length >= body.total || undefined,
      onclick: () => page(offset + LIST_PAGE) }, "Older")) : "";
  view.replaceChildren(h("h1", {}, "Campaigns"),
    section("Stored plans", pager, body.plans.length ? table(
      `Plans ${int(offset + 1)}–${int(offset + body.plans.length)} of ${int(body.total)}, newest first`, [
      // a damaged stored summary: what could not be read is named, so its figures read as partial
      { key: "plan_id", label: "Plan", format: (v, row) => [h("a", { href: `#/campaigns/${encodeURIComponent(v)}` }, v),
        (row.incomplete || []).length ? h("span", { class: "warning plan-incomplete" },
          ` (incomplete: ${row.incomplete.join(", ")})`) : "", chainMark(row)] },
      { key: "created", label: "Created" },
      { key: "films", label: "Films", wrap: true, format: (v, row) => (v || []).map((f) => {
        const title = row.titles && row.titles[f];
        // a plan stored before plans recorded their titles: the served model's, said so
        const served = (row.titles_from_model || []).includes(f);
        return title ? (served ? `${title} (${f}; title from the served model)` : `${title} (${f})`) : f;
      }).join(", ") },
      // none sent: "before any wave was sent" (it said "after 0 sent waves")
      { key: "withdrawn", label: "Withdrawn", format: (v) => (!v ? "" : v.sent_waves === 0 ? "before any wave was sent"
        : `after ${int(v.sent_waves)} sent wave${v.sent_waves === 1 ? "" : "s"}`) },
      // the whole plan's figures, every wave; what went out and what is still planned are the next
      // column's, per wave
      { key: "totals", label: "Contacts", num: true, format: (v, row) => [int(v?.contacts), wholePlan(row)] },
      { key: "totals", label: "Expected conversions", num: true, format: (v, row) => [expectedCount(v?.expected_conversions) +
        (row.horizon_days ? ` within ${days(row.horizon_days)} days` : ""), wholePlan(row, true)] },
      { key: "sent_totals", label: "Sent / still planned (by wave)", format: (_v, row) => sentPlanned(row) },
    ], body.plans) : body.total > 0
      // past the last page (a bookmark): plans exist, this page holds none
      ? h("p", {}, `No plan on this page: ${int(body.total)} in all, past the last page. `,
        h("a", { href: "#/campaigns" }, "Back to the newest"), ".")
      : h("p", {}, "No plan yet. ", h("a", { href: "#/plan" }, "Plan a slate"), ".")));
}
