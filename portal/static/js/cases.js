// Print buttons of the public notice (no inline script: CSP is 'self' only).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
