// The offer form: show only the settings of the chosen kind. Each [data-kinds="a b"] shows for kinds a and b.
// Without this script every setting shows, and the server drops those of other kinds.
(function () {
  var kind = document.getElementById("kind");
  if (!kind) { return; }
  var show = function () {
    document.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.dataset.kinds.split(" ").indexOf(kind.value) < 0;
    });
  };
  kind.addEventListener("change", show);
  show();
})();
