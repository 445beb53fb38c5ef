// Print buttons (data-print) without inline onclick handlers, which the CSP refuses.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});
