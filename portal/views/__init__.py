"""Portal pages: signing in (``sign_in``), the account (``account``), security settings
(``security``) and starting a recovery (``recovery``)."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """A plain page instead of Django's debug-looking one when a form's CSRF check fails."""
    return render(
        request,
        "portal/message.html",
        {
            "title": "This form has expired",
            "message": "Go back, reload the page and try again.",
        },
        status=403,
    )
