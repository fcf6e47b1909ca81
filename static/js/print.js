// The poster page works without JavaScript (the browser's own Print command); with it, a button.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
