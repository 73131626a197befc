// A 429's error box (too many wrong keys from this address): once the wait it said is over, a
// way on (a 429 is no engine out of reach, and the key that brought the wait may be wrong).

/** Append to ``box``, the error box of a 429 ``error`` (``error.retryAfter``: its Retry-After
    in seconds, 0 for none), once that wait is over: a button that opens the key dialog and,
    where ``again()`` gives a retry (the page's load, a form's submit), "Try again". */
export function afterTheWait(box, error, again) {
  const later = document.createElement("span");
  later.className = "wait-over";
  box.append(" ", later);
  const button = (label, onclick) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "retry";
    b.textContent = label;
    b.addEventListener("click", onclick);
    return b;
  };
  const over = () => {
    const retry = again();
    const key = button("Enter a key", () => document.getElementById("key-button")?.click());
    later.replaceChildren(...(retry
      ? ["The wait is over: ", button("Try again", retry), ", or ", key, " if the one in use may be wrong."]
      : ["The wait is over: send it again, or ", key, " if the one in use may be wrong."]));
  };
  const s = Number(error.retryAfter);
  if (s > 0) setTimeout(over, s * 1000);
  else queueMicrotask(over);  // no wait said: at once, once the box is placed
}
