"""The dev outbox shows each mail with its links clickable."""

import re

import httpx

from app.mail.views import linked


def test_links_become_anchors_and_the_rest_stays_escaped() -> None:
    html = linked(
        "Open https://x.example/verify/a-b_c. <b>Then</b> (https://x.example/y)"
    )
    assert (
        '<a href="https://x.example/verify/a-b_c">https://x.example/verify/a-b_c</a>.'
        in html
    )
    assert '(<a href="https://x.example/y">https://x.example/y</a>)' in html
    assert "&lt;b&gt;Then&lt;/b&gt;" in html


async def test_the_outbox_links_the_confirmation_link(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/request")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf_token": token.group(1), "location": "eea", "type": "access"}
    await client.post("/request", data=form | {"email": "ada@example.com"})
    outbox = await client.get("/dev/outbox")
    assert outbox.status_code == 200
    assert re.search(r'<a href="http://[^"]+/verify/[\w-]+">', outbox.text)
