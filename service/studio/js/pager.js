// Paged tables and their Previous/Next: a page drawn anew keeps the focus on the button pressed.

import { announce, h, int, table } from "./ui.js";

/** ``rows`` (already in hand) ``size`` at a time, the caption saying which (``noun`` a–b of n),
    with Previous/Next when there is more than a page; ``after``: nodes kept under it; ``attrs``:
    the box's. */
export function pagedTable(caption, noun, columns, rows, attrs = {}, after = [], size = 25) {
  let at = 0;
  const box = h("div", attrs);
  const draw = () => box.replaceChildren(
    table(`${caption}: ${noun} ${int(at + 1)}–${int(Math.min(at + size, rows.length))} of ${int(rows.length)}`,
      columns, rows.slice(at, at + size)),
    rows.length > size ? h("div", { class: "pager" },
      h("button", { type: "button", disabled: at === 0 || undefined,
        onclick: () => turn(Math.max(0, at - size), "Previous") }, "Previous"),
      h("button", { type: "button", disabled: at + size >= rows.length || undefined,
        onclick: () => turn(at + size, "Next") }, "Next")) : "",
    ...after);
  const turn = (to, label) => {
    pagerPress(box, label);
    at = to;
    draw();
    pagerBack(box);
    announce(`${caption}: ${noun} ${int(at + 1)}–${int(Math.min(at + size, rows.length))} of ${int(rows.length)}`);
  };
  draw();
  return box;
}

// A page drawn anew draws its Previous and Next anew too: the focus stays on the button pressed (on
// the other one where it is now disabled), not on the body. ``pagerPress`` at the press notes
// whether the focus was in ``box``; ``pagerBack`` once the new page is in ``box`` puts it back
// (pages drawn after an answer call it when the answer is painted).
const pressed = new WeakMap();
export function pagerPress(box, label) {
  pressed.set(box, box.contains(document.activeElement) ? label : null);
}
/** Before ``box`` is emptied for a page no press asked for (a search changed, a filter): a focus on
    its Previous or Next is noted too, so ``pagerBack`` puts it back. */
export function pagerHold(box) {
  const at = document.activeElement;
  if (pressed.get(box) || !at || !box.contains(at) || !at.closest(".pager")) return;
  if (["Previous", "Next"].includes(at.textContent)) pressed.set(box, at.textContent);
}
export function pagerBack(box) {
  const label = pressed.get(box);
  pressed.delete(box);
  // only a focus the redraw lost (on the body now) or left in ``box``: not one the user moved on
  // meanwhile
  const at = document.activeElement;
  if (!label || (at && at !== document.body && !box.contains(at))) return;
  const buttons = [...box.querySelectorAll(".pager button")]
    .filter((b) => !b.disabled && ["Previous", "Next"].includes(b.textContent));
  (buttons.find((b) => b.textContent === label) || buttons[0]
    || (box.querySelector(".pager") ? null : failedAt(box)))?.focus();
}
/** Where the focus goes when a page pressed for never came (``box`` holds no pager: an error): its
    "Try again", else the error box, else the heading above. */
function failedAt(box) {
  const again = box.querySelector("button.retry:enabled");
  if (again) return again;
  const said = box.querySelector("[role=alert]") || box.closest("section")?.querySelector("h2")
    || box.closest("#view")?.querySelector("h1");
  if (said && !said.hasAttribute("tabindex")) said.setAttribute("tabindex", "-1");
  return said;
}
