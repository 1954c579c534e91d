"""/api/docs works offline: Swagger UI's files are served by the app, under the strict CSP."""

import re
from urllib.parse import urlsplit

import httpx

from app.access import STRICT_POLICY


async def test_the_docs_page_loads_only_same_origin_assets(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert referenced, "the page references its script and stylesheet"
    for url in referenced:
        assert not urlsplit(url).netloc, url  # no other host, no protocol-relative URL
        if url.startswith("/"):
            served = await client.get(url)
            assert served.status_code == 200, url
            assert served.content, url
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert any(src.endswith("swagger-ui-bundle.js") for src in scripts)
    assert "<script>" not in page.text  # no inline script: the strict policy holds


async def test_the_docs_page_keeps_the_strict_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/docs")
    assert page.headers["content-security-policy"] == STRICT_POLICY.decode()


async def test_swagger_ui_assets_are_real_swagger_ui(client: httpx.AsyncClient) -> None:
    bundle = await client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert bundle.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    css = await client.get("/api/docs/assets/swagger-ui.css")
    assert ".swagger-ui" in css.text
