// Print buttons: <button data-print hidden> shows itself (it needs this script) and prints the page.
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});
