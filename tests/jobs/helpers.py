"""Following a job that ends in a file, as a user does (portal/jobs/files.py)."""
from __future__ import annotations

import re


def exported(client, post, url: str):
    """Ask for a file as the page's button does (POST), then download the file its job wrote
    (the inline job runner has run it once the request committed)."""
    asked = post(url)
    assert asked.status_code == 302, asked.status_code
    page = client.get(asked.headers["Location"])
    assert page.status_code == 200
    link = re.search(r'id="job-file-download" href="([^"]+)"', page.get_data(as_text=True))
    assert link, "the job's page offers no file"
    return client.get(link.group(1))
