// The review queue's "tick all shown" box.
(function () {
  var all = document.getElementById('tick-all');
  if (!all) return;
  all.addEventListener('change', function () {
    document.querySelectorAll('input.tick').forEach(function (box) { box.checked = all.checked; });
  });
})();
