// Credentials in links travel in the URL fragment: browsers never send it to a server, so it
// reaches no access log, proxy or Referer header. This script moves `token` from the fragment
// into its form (form[data-fragment-token]), clears the address bar, and posts the form when
// it says so (data-autosubmit; a magic link waits for the user's click instead, so a mail
// scanner that runs scripts spends nothing). form[data-resubmit-after=N] posts again after N s.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-fragment-token]");
  if (form) {
    const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
    form.elements.token.value = token;
    history.replaceState(null, "", location.pathname + location.search);
    if (form.hasAttribute("data-autosubmit")) form.submit();
  }
  const again = document.querySelector("form[data-resubmit-after]");
  if (again) setTimeout(() => again.submit(), Number(again.dataset.resubmitAfter) * 1000);
});
