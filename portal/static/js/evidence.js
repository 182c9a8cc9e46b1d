// Evidence upload: the file input's `accept` and `capture` follow the chosen kind, so that a
// phone opens its camera for photos and videos and its files for documents.
document.querySelectorAll("[data-evidence-kind]").forEach((select) => {
  const form = select.closest("form");
  const input = form && form.querySelector("[data-evidence-file]");
  if (!input) return;
  const accept = JSON.parse(select.dataset.accept || "{}");
  const update = () => {
    const kind = select.value;
    if (accept[kind] !== undefined) input.setAttribute("accept", accept[kind]);
    if (kind === "photo" || kind === "video") {
      input.setAttribute("capture", "environment");
    } else {
      input.removeAttribute("capture");
    }
  };
  select.addEventListener("change", update);
  update();
});
