"""The interface in English when English is chosen; Chinese otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.django_db
def test_public_pages_come_out_in_english(english):
    home = english.get("/").content.decode()
    assert "For individuals" in home and "Popular searches" in home
    assert "热门搜索" not in home
    search = english.get("/search/", {"q": "不存在的事项名称"}).content.decode()
    assert "No service items found" in search
    login = english.get("/accounts/login/").content.decode()
    assert "Staff sign-in" in login


@pytest.mark.django_db
def test_field_errors_come_out_in_english(english):
    page = english.post("/accounts/applicant/login/", {"step": "send", "phone": "123"})
    assert "Please enter a valid 11-digit mobile number." in page.content.decode()
    response = english.post(
        "/api/v1/accounts/sms-code", data=json.dumps({"phone": "123"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"]["phone"] == ["Please enter a valid 11-digit mobile number."]


@pytest.mark.django_db
def test_without_a_choice_the_interface_is_chinese(client):
    assert "热门搜索" in client.get("/").content.decode()


def test_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")
    for entry in polib.pofile(str(PO)):
        if entry.msgstr:
            assert sorted(placeholder.findall(entry.msgid)) == sorted(
                placeholder.findall(entry.msgstr)
            ), entry.msgid
