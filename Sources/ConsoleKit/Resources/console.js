// Steward's console: the only script the pages run (their Content-Security-Policy allows no other).
// Everything works without it; it adds confirmation to commands, the live refresh of a rollout,
// the landing of MLflow's "#/experiments/..." links, and the run comparison's selection limit.
"use strict";

// MLflow's UI links: /#/experiments/1/runs/abc, /#/models/name/versions/3 and so on, opened
// afresh or followed from a page already at /.
function followMLflowLink() {
  const hash = window.location.hash;
  if (window.location.pathname !== "/" || !hash.startsWith("#/")) return;
  const parts = hash.slice(2).split("?")[0].split("/").filter((p) => p.length > 0);
  let path = null;
  if (parts[0] === "experiments" && parts.length >= 2) {
    path = parts[2] === "runs" && parts[3] ? "/runs/" + parts[3] : "/experiments/" + parts[1];
  } else if (parts[0] === "models" && parts.length >= 2) {
    path = "/models/" + parts[1];
    if (parts[2] === "versions" && parts[3]) path += "/versions/" + parts[3];
  } else if (parts[0] === "experiments" || parts[0] === "models") {
    path = "/" + parts[0];
  }
  // Segments arrive percent-encoded from the link; keep them so, and never leave this site.
  if (path && /^\/[A-Za-z0-9%._~@\-\/]*$/.test(path)) window.location.replace(path);
}
followMLflowLink();
window.addEventListener("hashchange", followMLflowLink);

document.addEventListener("DOMContentLoaded", () => {
  // Signed out, an MLflow link goes through the sign-in page with its fragment: keep it for after.
  const next = document.querySelector("form[action='/login'] input[name=next]");
  if (next && next.value === "/" && window.location.hash.startsWith("#/")) next.value = "/" + window.location.hash;

  // A command asks first: "Abort the rollout of sentiment?" (the pressed button's question, else the form's).
  document.addEventListener("submit", (event) => {
    const question = (event.submitter && event.submitter.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Compare: 2 to 5 runs.
  const compare = document.querySelector("form#compare");
  if (compare) {
    const boxes = () => Array.from(compare.querySelectorAll("input[name=runs]"));
    const button = compare.querySelector("button[type=submit]");
    const update = () => {
      const n = boxes().filter((b) => b.checked).length;
      button.disabled = n < 2 || n > 5;
      button.textContent = "Compare " + n + " selected";
    };
    compare.addEventListener("change", update);
    update();
  }

  // A live section refreshes itself from its own URL's fragment, without reloading the page.
  const live = document.querySelector("[data-live]");
  if (live) {
    const url = live.dataset.live;
    const seconds = Number(live.dataset.every || "2");
    let busy = false;
    const refresh = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
        if (response.redirected) {
          window.location.reload();
        } else if (response.ok) {
          live.innerHTML = await response.text();
          live.dataset.refreshed = String(Date.now());
        }
      } catch (e) {
        // The daemon restarting: the next tick tries again.
      } finally {
        busy = false;
      }
    };
    window.setInterval(refresh, seconds * 1000);
  }
});
