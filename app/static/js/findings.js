// Zeren findings: the ledger's print button, and the duty item picker's filter box
// (no inline script: the CSP forbids it).  Without JavaScript the box stays hidden and
// the grouped select is used as it is.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

function zerenFilterItems(box) {
  var select = document.getElementById(box.getAttribute("data-filter-for"));
  if (!select) {
    return;
  }
  var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  var groups = select.querySelectorAll("optgroup");
  groups.forEach(function (group) {
    var shown = 0;
    var groupText = (group.label || "").toLowerCase();
    group.querySelectorAll("option").forEach(function (option) {
      var text = groupText + " " + option.textContent.toLowerCase();
      var match = option.selected || words.every(function (word) { return text.indexOf(word) !== -1; });
      option.hidden = !match;
      option.disabled = !match;
      if (match) {
        shown += 1;
      }
    });
    group.hidden = shown === 0;
  });
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".duty-item-filter").forEach(function (box) {
    box.hidden = false;
    box.addEventListener("input", function () { zerenFilterItems(box); });
  });
});
