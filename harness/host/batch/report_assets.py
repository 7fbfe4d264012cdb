"""The report's style sheet and its one script (sorting the candidate table), inlined: reports open offline."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
th button { all: inherit; cursor: pointer; padding: 0; border: 0; }
th[aria-sort=ascending] button::after { content: " \\25B2"; }
th[aria-sort=descending] button::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.full { color: #2a7d3f; } .partial { color: #b35c00; } .zero { color: #8a1c1c; }
.missing { color: #777; font-style: italic; } .error { color: #b00020; font-weight: bold; }
.pass { color: #2a7d3f; } .fail { color: #b35c00; }
.plots img { max-width: 49%; border: 1px solid #ddd; margin: 2px; vertical-align: top; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: 6px; margin: 0; max-width: 700px; }
.pair { display: flex; gap: 1em; } .pair > div { flex: 1; min-width: 0; }
.pair pre { max-width: none; font-size: 12px; } .pair .same { background: #fff3b0; }
.note { color: #555; }
"""

# Click a column's header to sort by it; click again to reverse. Cells sort by their data-sort value
# if they have one, else by their text; numbers sort as numbers, before text.
SORT_SCRIPT = """
(function () {
  function key(cell) {
    var value = cell.getAttribute("data-sort");
    if (value === null) { value = cell.textContent.trim(); }
    var number = Number(value);
    return (value !== "" && isFinite(number)) ? [0, number] : [1, value.toLowerCase()];
  }
  function sortBy(table, column, header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (first, second) {
      var a = key(first.cells[column]), b = key(second.cells[column]);
      var order = a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
      var button = header.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, column, header); }); }
    });
  });
})();
"""
