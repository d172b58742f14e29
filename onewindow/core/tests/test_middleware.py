import pytest


@pytest.mark.django_db
def test_pages_are_chinese_unless_english_is_chosen(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    assert client.get("/").headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.django_db
def test_nul_characters_are_a_clear_400_not_a_database_error(client):
    response = client.get("/api/v1/regions", {"parent": "\x00"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"
    response = client.post(
        "/api/v1/accounts/sms-code", data='{"phone": "139\\u0000"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    # The search page drops control characters itself and answers normally.
    assert client.get("/search/", {"q": "健康\x00证"}).status_code == 200
