// The issue form of a city task: show the category or the bureau list only for the scope that uses it.
(function () {
  var radios = document.querySelectorAll('input[name="scope"]');
  function show() {
    var scope = (document.querySelector('input[name="scope"]:checked') || {}).value;
    document.getElementById('scope-category').hidden = scope !== 'category';
    document.getElementById('scope-chosen').hidden = scope !== 'chosen';
  }
  radios.forEach(function (r) { r.addEventListener('change', show); });
  show();
})();
