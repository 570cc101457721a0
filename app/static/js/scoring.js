// Zeren score sheets: the print button of the standalone printout (no inline script: CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
