"""Small helpers of the roster tests."""
import html


def text(response) -> str:
    """The response body with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))
