// The case page's "copy link" works as a plain link without JavaScript (long-press or right-click to
// copy it); with JavaScript and a clipboard, a tap copies the link and says so.
document.querySelectorAll("a[data-copy-link]").forEach(function (link) {
  if (!navigator.clipboard) { return; }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    navigator.clipboard.writeText(link.href).then(function () {
      link.textContent = link.getAttribute("data-copied");
    }, function () {
      window.location.href = link.href;
    });
  });
});
