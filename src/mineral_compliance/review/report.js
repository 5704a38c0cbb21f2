"use strict";
// Sorting and filtering for the report's tables. Without this script every table is
// complete and in its original order; with it, a heading click sorts by that column and
// the box above a table hides the rows that do not contain the text typed.
(function () {
  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }
  function makeSortable(table) {
    var headings = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headings, function (th, index) {
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headings, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var order = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  }
  function makeFilterable(table) {
    var controls = document.createElement("div");
    controls.className = "controls";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "Filter rows";
    input.setAttribute("aria-label", "Filter the rows of this table");
    controls.appendChild(input);
    var statuses = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var s = row.getAttribute("data-status");
      if (s && statuses.indexOf(s) < 0) { statuses.push(s); }
    });
    var select = null;
    if (statuses.length > 1) {
      select = document.createElement("select");
      select.setAttribute("aria-label", "Show only this status");
      select.appendChild(new Option("every status", ""));
      statuses.sort().forEach(function (s) { select.appendChild(new Option(s, s)); });
      controls.appendChild(select);
    }
    var count = document.createElement("output");
    controls.appendChild(count);
    table.parentNode.insertBefore(controls, table);
    function apply() {
      var needle = input.value.trim().toLowerCase();
      var wanted = select ? select.value : "";
      var shown = 0, rows = table.tBodies[0].rows;
      Array.prototype.forEach.call(rows, function (row) {
        var visible = (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0) &&
          (!wanted || row.getAttribute("data-status") === wanted);
        row.hidden = !visible;
        if (visible) { shown += 1; }
      });
      count.value = shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", apply);
    if (select) { select.addEventListener("change", apply); }
    apply();
  }
  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  document.querySelectorAll("table[data-filterable]").forEach(makeFilterable);
}());
