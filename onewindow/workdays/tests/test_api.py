import pytest

pytestmark = pytest.mark.django_db


def test_add_over_national_day(client):
    response = client.get("/api/v1/workdays/add", {"date": "2026-09-30", "n": 5})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-13", "provisional": False}


def test_provisional_year_is_flagged(client):
    body = client.get("/api/v1/workdays/add", {"date": "2026-12-30", "n": 10}).json()
    assert body["provisional"] is True


def test_between_counts_working_days(client):
    body = client.get(
        "/api/v1/workdays/between", {"start": "2026-10-01", "end": "2026-10-31"}
    ).json()
    # 2026-10-01..07 off, Saturday 10-10 a make-up working day (chinese_calendar agrees)
    assert body["days"] == 18 and body["provisional"] is False


def test_bad_input_is_a_field_error_not_a_500(client):
    response = client.get("/api/v1/workdays/add", {"date": "2026-13-01", "n": 5})
    assert response.status_code == 422
    assert "date" in response.json()["errors"]
    response = client.get("/api/v1/workdays/add", {"date": "2026-10-01", "n": 99999})
    assert response.status_code == 422
    assert response.json()["errors"]["n"] == ["数值过大。"]
