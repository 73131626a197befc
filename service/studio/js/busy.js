// A part of the page marked aria-busy while it loads: the box a loading line ("Loading…", "Searching…") stands in.

// the boxes marked now: each is unmarked once no loading line is in it (its answer or error
// took the line's place), so a screen reader hears the part is busy while it is drawn again
let marked = new Set();

function mark() {
  const now = new Set([...document.querySelectorAll(".loading")].map((p) => p.parentElement)
    .filter((box) => box && box !== document.body));
  for (const box of marked) if (!now.has(box)) box.removeAttribute("aria-busy");
  for (const box of now) box.setAttribute("aria-busy", "true");
  marked = now;
}

/** Keep aria-busy on every box of ``root`` that holds a loading line, from now on. */
export function markBusy(root = document.body) {
  new MutationObserver(mark).observe(root, { childList: true, subtree: true });
  mark();
}
