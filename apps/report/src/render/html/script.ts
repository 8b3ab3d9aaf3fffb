/**
 * The page's only script (inlined; the page works without it): when the address names an element inside a closed
 * `<details>`, open it so the link target shows.
 */
import { createHash } from "node:crypto";

/** The script's source. */
export const REPORT_SCRIPT =
  "(function(){function o(){var h=location.hash.slice(1);if(!h)return;var e=document.getElementById(h);" +
  "for(var p=e;p;p=p.parentElement){if(p.tagName==='DETAILS')p.open=true;}if(e)e.scrollIntoView();}" +
  "window.addEventListener('hashchange',o);o();})();";

/** The Content-Security-Policy hash of {@link REPORT_SCRIPT}. */
export function scriptHash(): string {
  return `sha256-${createHash("sha256").update(REPORT_SCRIPT).digest("base64")}`;
}

/**
 * The page's Content-Security-Policy: nothing may be loaded from anywhere (no network, even if a string slipped
 * through escaping); inline styles, data: images and the one hashed script only.
 */
export function contentSecurityPolicy(): string {
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '${scriptHash()}'; base-uri 'none'; form-action 'none'`;
}
