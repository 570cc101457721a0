// Zeren: the only script of the shell.  Loaded in <head> (not deferred) so that the "js"
// class is on <html> before the first paint: the style sheet keeps pages usable without
// script (tables scroll sideways, the menu is open) and switches to the phone layout
// (stacked tables, a collapsing menu) only when this script runs.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Forms with data-confirm ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function text(cell) {
    return (cell.textContent || "").replace(/\s+/g, " ").trim();
  }

  // The column each cell starts in, for a list of rows (rowspan and colspan taken into
  // account): [[cell, column], ...] per row.
  function grid(rows) {
    var covered = []; // per column: how many more rows a cell above still covers
    return rows.map(function (row) {
      var taken = covered.map(function (n) { return n > 0; });
      covered = covered.map(function (n) { return Math.max(0, n - 1); });
      var placed = [];
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        while (taken[column]) { column += 1; }
        var span = Math.max(1, cell.colSpan || 1);
        placed.push([cell, column]);
        for (var i = 0; i < span; i += 1) { covered[column + i] = Math.max(0, (cell.rowSpan || 1) - 1); }
        column += span;
      });
      return placed;
    });
  }

  // The header label of every column, from the header rows of the table (a cell spanning
  // several columns labels each of them; two header rows give "upper · lower").
  function columnLabels(table) {
    var rows = table.tHead ? Array.prototype.slice.call(table.tHead.rows) : [];
    if (!rows.length) {
      var first = table.rows[0];
      if (first && first.cells.length && Array.prototype.every.call(first.cells, function (c) { return c.tagName === "TH"; })) {
        rows = [first];
      }
    }
    var labels = [];
    grid(rows).forEach(function (placed) {
      placed.forEach(function (pair) {
        var cell = pair[0];
        var label = cell.getAttribute("data-label") || text(cell);
        for (var i = 0; i < Math.max(1, cell.colSpan || 1); i += 1) {
          var upper = labels[pair[1] + i];
          labels[pair[1] + i] = upper && label && upper !== label ? upper + " · " + label : (label || upper || "");
        }
      });
    });
    return { labels: labels, headerRows: rows };
  }

  // Whether a cell names its row: a row header, a link to the thing (not a button), or a
  // cell that opens with a bold heading (a score-sheet indicator).
  function namesRow(cell) {
    if (cell.tagName === "TH") { return cell.rowSpan <= 1; }
    if (cell.querySelector("form, .btn, input, select, textarea")) { return false; }
    if (cell.querySelector("a[href]")) { return true; }
    var lead = cell.firstElementChild;
    return !!lead && /^(STRONG|B|H\d)$|fw-bold|fw-semibold/.test(lead.tagName + " " + lead.className) &&
      text(lead).length > 0 && text(cell).indexOf(text(lead)) === 0;
  }

  // A cell whose text is a link to the thing of the row (a finding's description).
  function linksThing(cell) {
    var link = cell.querySelector("a[href]:not(.btn)");
    return !!link && !cell.querySelector("form, .btn, input, select, textarea") &&
      text(link).length >= 4 && text(link).length >= text(cell).length / 2;
  }

  // A short plain name (a person, a time) can head the card when no cell names the row.
  function plainName(cell) {
    var value = text(cell);
    return cell.tagName === "TD" && value.length > 0 && value.length <= 24 &&
      !/^[\d\s.,:%#+−-]*$/.test(value) && !cell.querySelector("form, .btn, input, select, textarea, a");
  }

  // Phone layout of a table: every body row becomes a card whose cells carry their column's
  // label (data-label, shown by the style sheet below 768 px).  The column that names the
  // rows (row headers, links to the thing, bold headings, else a short plain name in the
  // first column) becomes the cards' title.  Rows of header cells only, or of one cell
  // across the table, are headings between the cards.
  function prepareTable(table) {
    if (table.getAttribute("data-stack") === "off" || table.closest(".table-keep")) { return; }
    if (table.hasAttribute("data-stack-columns")) { return; } // prepared already
    var found = columnLabels(table);
    var body = Array.prototype.filter.call(table.rows, function (row) {
      return found.headerRows.indexOf(row) < 0 && row.parentNode !== table.tHead;
    });
    var placed = grid(body);
    var width = found.labels.length;
    placed.forEach(function (cells) {
      cells.forEach(function (pair) { width = Math.max(width, pair[1] + Math.max(1, pair[0].colSpan || 1)); });
    });
    if (width < 3) { return; } // two columns fit a phone as they are
    var cards = [];
    body.forEach(function (row, index) {
      var cells = placed[index];
      var allHeaders = cells.every(function (pair) { return pair[0].tagName === "TH"; });
      var spansAll = cells.length === 1 && (cells[0][0].colSpan || 1) >= width - 1;
      if (allHeaders || spansAll) {
        row.classList.add("stack-group"); // a dimension or category heading inside the table
      } else {
        cards.push(cells);
      }
      cells.forEach(function (pair) {
        var cell = pair[0];
        var label = found.labels[pair[1]] || "";
        if (!cell.hasAttribute("data-label") && label) { cell.setAttribute("data-label", label); }
        if (!text(cell) && !cell.querySelector("input, select, textarea, button, img, svg")) {
          cell.classList.add("stack-empty");
        }
      });
    });
    // the title column: the first column (of the first `limit`) that names most of the rows
    function column(test, limit) {
      for (var c = 0; c < Math.min(limit, width); c += 1) {
        var hits = cards.filter(function (cells) {
          return cells.some(function (pair) { return pair[1] === c && test(pair[0]); });
        }).length;
        if (cards.length && hits * 2 >= cards.length) { return c; }
      }
      return -1;
    }
    var title = column(namesRow, 2);
    if (title < 0) { title = column(linksThing, width); }
    if (title < 0) { title = column(plainName, 1); }
    if (title >= 0) {
      cards.forEach(function (cells) {
        cells.forEach(function (pair) {
          if (pair[1] === title && text(pair[0]) && (pair[0].rowSpan || 1) <= 1) { pair[0].classList.add("stack-title"); }
        });
      });
    }
    // a row header spanning several rows (a dimension over its indicators) would be shown
    // in the first card only: stacked, it is a heading above the cards it spans instead
    placed.forEach(function (cells, index) {
      cells.forEach(function (pair) {
        var cell = pair[0];
        if (cell.tagName !== "TH" || (cell.rowSpan || 1) < 2 || !text(cell)) { return; }
        var heading = document.createElement("tr");
        heading.className = "stack-group stack-only";
        var copy = document.createElement("th");
        copy.textContent = text(cell);
        heading.appendChild(copy);
        body[index].parentNode.insertBefore(heading, body[index]);
        cell.classList.add("stack-lead");
      });
    });
    table.setAttribute("data-stack-columns", String(width));
    table.classList.add("table-stack");
  }

  // A cell holding only a date, a figure or a word of up to four characters (a grade, a
  // status, a short header) breaks badly: "较/好", "2026-12-/02".
  var SHORT = /^(?:[-+−]?[\d.,:%\/ ]+(?:[\u4e00-\u9fff]{1,2})?|\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?|[\u3400-\u9fff\uff08\uff09（）·]{1,4}|.{1,3})$/;

  function keepShortCells(table) {
    var marked = [];
    Array.prototype.forEach.call(table.querySelectorAll("th, td"), function (cell) {
      var value = text(cell);
      if (value && value.length <= 19 && SHORT.test(value) && !cell.querySelector("input, select, textarea")) {
        cell.classList.add("cell-short");
        marked.push(cell);
      }
    });
    // never at the price of a table wider than its place: then it stays as it was
    var box = table.parentElement;
    if (box && table.offsetWidth > box.clientWidth + 1) {
      marked.forEach(function (cell) { cell.classList.remove("cell-short"); });
    }
  }

  function below(px) {
    return window.matchMedia ? window.matchMedia("(max-width: " + (px - 0.02) + "px)").matches : false;
  }

  // Whether a table reads well as a table at this width: it does not stick out of its
  // place and no cell is narrower than two and a half characters.
  function fitsAsTable(table) {
    table.classList.remove("is-stacked");
    var box = table.parentElement;
    if (box && table.offsetWidth > box.clientWidth + 1) { return false; }
    var cells = table.querySelectorAll("td, th");
    for (var i = 0; i < cells.length; i += 1) {
      var cell = cells[i];
      if (text(cell).length >= 2 && cell.offsetWidth) {
        var style = window.getComputedStyle(cell);
        var room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        if (room < 2.5 * parseFloat(style.fontSize)) { return false; }
      }
    }
    return true;
  }

  // Stack the prepared tables that need it at this width: on a phone every table of four
  // or more columns and any that does not fit; on a tablet only those that do not fit; on a
  // desktop none (it looks as it always did).
  function layoutTables(root) {
    var phone = below(768);
    var tablet = !phone && below(992);
    Array.prototype.forEach.call((root || document).querySelectorAll("main table.table-stack"), function (table) {
      var stacked = false;
      if (phone || tablet) {
        stacked = (phone && Number(table.getAttribute("data-stack-columns")) >= 4) || !fitsAsTable(table);
      }
      table.classList.toggle("is-stacked", stacked);
    });
  }

  function prepareTables(root) {
    var wide = !below(768);
    Array.prototype.forEach.call((root || document).querySelectorAll("main table"), function (table) {
      if (wide) { keepShortCells(table); }
      prepareTable(table);
    });
    layoutTables(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { prepareTables(document); });
  } else {
    prepareTables(document);
  }
  // a window made narrower or wider (a phone turned) looks at its tables again; a change of
  // height only (a phone's address bar sliding away) does not
  var lastWidth = window.innerWidth;
  var pending = null;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) { return; }
    lastWidth = window.innerWidth;
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { layoutTables(document); }, 120);
  });
  window.Zeren = window.Zeren || {};
  // A feature that adds a table after the page has loaded can give it the phone layout too.
  window.Zeren.prepareTables = prepareTables;
  window.Zeren.layoutTables = layoutTables;
})();
