// Files the studio offers: an API answer saved under a name (the server's Content-Disposition
// read), or a blob the page made; each asked as every request is asked (api.js's send).

import { drawnFrom, send } from "./api.js";

/** GET ``path`` and offer it as the file ``filename``; what it was drawn from (``answeredAt``).
    ``comparedWith``: the model version of the table the caller compares the file with
    (rankedAgain): a new model said there is not said by the page's notice too. */
export async function download(path, filename, { comparedWith = "" } = {}) {
  const r = await send(path, { comparedWith });
  saveBlob(await r.blob(), filename);
  return drawnFrom(r);
}

/** The file name a download's Content-Disposition gives: its ``filename*`` (RFC 8187, where
    the server writes one: letters of any script kept), else its ``filename``; null for none. */
export function dispositionName(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;\s]+)/i.exec(header);
  if (star) {
    try { return decodeURIComponent(star[1]); } catch { /* a bad escape: the plain name */ }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) || /filename\s*=\s*([^;\s]+)/i.exec(header);
  return plain ? plain[1].replace(/\\(.)/g, "$1") : null;
}

/** POST ``body`` as JSON to ``path`` (a read) and offer the answer as a file named as the server's
    Content-Disposition names it (``fallback`` where it names none); the name it was offered under,
    and ``answeredAt``; ``comparedWith`` as ``download``'s. */
export async function downloadPosted(path, body, fallback, { comparedWith = "" } = {}) {
  const r = await send(path, { method: "POST", body: JSON.stringify(body), comparedWith,
    headers: { "content-type": "application/json" } });
  const name = dispositionName(r.headers.get("Content-Disposition")) || fallback;
  saveBlob(await r.blob(), name);
  return { name, ...drawnFrom(r) };
}

/** Offer ``blob`` to the browser as the file ``filename``. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
