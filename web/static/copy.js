// Copy buttons: <button data-copy="input-id"> copies that input's value and says so in #input-id-copied.
document.querySelectorAll("[data-copy]").forEach(function (b) {
  b.addEventListener("click", function () {
    var input = document.getElementById(b.dataset.copy);
    var said = document.getElementById(b.dataset.copy + "-copied");
    var done = function () { if (said) { said.textContent = "Copied."; } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      if (document.execCommand("copy")) { done(); }
    }
  });
});
