"""Security headers and session handling applied to every response."""
from flask import Flask, session

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)

# A file served for viewing (evidence, a generated PDF) runs nothing and loads nothing of the
# portal, even if it is HTML in disguise: no sniffing, no scripts, its own opaque origin.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
# Chromium's PDF viewer does not open a document served under `sandbox` (tried with Debian's
# Chromium 156: the page never loads), so a PDF gets a policy that lets it load nothing, send no
# form and be framed by no page; the viewer itself runs outside the portal's origin.
PDF_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def protect_file(response, content_type: str):
    """The headers of a file answered for viewing or download."""
    response.headers["Content-Security-Policy"] = (
        PDF_CSP if content_type == "application/pdf" else FILE_CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(app: Flask) -> None:
    @app.before_request
    def _permanent_session():
        # Idle timeout: each request renews the cookie's PERMANENT_SESSION_LIFETIME.
        session.permanent = True

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self)")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
