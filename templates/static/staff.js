// The staff UI's small progressive enhancement; every page works without it.
// Queue: keyboard shortcuts (j/k move, x select, o or Enter open, a assign, / search) and
// saved-view counts refreshed every 30 seconds.
"use strict";

(function () {
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function queueShortcuts() {
    const rows = Array.from(document.querySelectorAll("table.queue tr[data-href]"));
    let current = -1;
    function select(index) {
      if (!rows.length) return;
      if (current >= 0) rows[current].classList.remove("row-current");
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows[current].classList.add("row-current");
      rows[current].querySelector("a").focus();
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target)) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      const search = document.getElementById("q");
      const assignee = document.getElementById("bulk-assignee");
      const row = current >= 0 ? rows[current] : null;
      switch (event.key) {
        case "j": select(current + 1); break;
        case "k": select(current - 1); break;
        case "o": if (row) window.location.href = row.dataset.href; break;
        case "x": if (row) { const box = row.querySelector("input[type=checkbox]"); box.checked = !box.checked; } break;
        case "a":
          if (row) row.querySelector("input[type=checkbox]").checked = true;
          if (assignee) { document.getElementById("bulk-action").value = "assign"; assignee.focus(); }
          break;
        case "/": if (search) search.focus(); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  function refreshCounts() {
    const counts = document.querySelectorAll("[data-count]");
    if (!counts.length) return;
    window.setInterval(function () {
      fetch("/queue/counts", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok && !answer.redirected ? answer.json() : null; })
        .then(function (values) {
          if (!values) return;
          counts.forEach(function (element) {
            const value = values[element.dataset.count];
            if (value !== undefined) element.textContent = String(value);
          });
        })
        .catch(function () { /* offline for a moment: the next round tries again */ });
    }, 30000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("table.queue")) {
      queueShortcuts();
      refreshCounts();
    }
  });
})();
