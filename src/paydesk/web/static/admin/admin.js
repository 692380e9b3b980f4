// The admin console's one behaviour shared by every page: a form marked
// data-confirm="…" asks before it is sent. It lives here, not in an inline
// onsubmit, so the Content-Security-Policy can forbid inline script.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined
      && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
