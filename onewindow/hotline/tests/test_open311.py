"""Open311 GeoReport v2 conformance, driven by the `open311` client library from PyPI (1.1,
codeforamerica/open311_python) against the live server.

That library predates Python 3: its modules import each other by bare names (``from api import
API``, ``from object_dict import object_dict``), it posts text instead of bytes, and its XML
reader calls ``Element.getchildren()`` (gone since Python 3.9). The loader below makes those
names resolve to the library's own files, gives ``urlopen`` bytes and hands the XML reader
elements that still have ``getchildren`` — the library's requests and its parsing logic are
unchanged, and they are what is being tested.
"""

from __future__ import annotations

import importlib.util
import sys
import types
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from onewindow.accounts.models import Role
from onewindow.accounts.tokens import token_create
from onewindow.hotline import orders
from onewindow.hotline.models import OrderChannel, WorkOrder
from onewindow.hotline.tests.order_factories import catalogue

pytestmark = pytest.mark.django_db(transaction=True)


class _Node:
    """An XML element as the library's reader expects it (with ``getchildren``)."""

    def __init__(self, el: ElementTree.Element) -> None:
        self.tag, self.text, self.attrib = el.tag, el.text, dict(el.attrib)
        self._children = [_Node(c) for c in el]

    def getchildren(self) -> list[_Node]:
        return self._children


def _load(name: str, path: Path, *, package: bool = False) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def open311_client() -> Any:
    """The library's ``Open311`` class, loaded from its installed files."""
    spec = importlib.util.find_spec("open311")
    assert spec is not None and spec.submodule_search_locations, "pip install open311"
    base = Path(list(spec.submodule_search_locations)[0])
    names = ("object_dict", "xml2dict", "xml2dict.xml2dict", "api", "api.api")
    saved = {k: sys.modules.get(k) for k in names}
    try:
        _load("object_dict", base / "api" / "xml2dict" / "object_dict.py")
        _load("xml2dict", base / "api" / "xml2dict" / "__init__.py", package=True)
        reader = sys.modules["xml2dict.xml2dict"]
        reader.ET = types.SimpleNamespace(fromstring=lambda s: _Node(ElementTree.fromstring(s)))
        api = _load("api", base / "api" / "api.py")
        sys.modules["api.api"] = api
        client = _load("open311_client", base / "open311.py")
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

    def urlopen(url: str, data: Any = None, *args: Any, **kw: Any) -> Any:
        if isinstance(data, str):
            data = data.encode()
        return urllib.request.urlopen(url, data, *args, **kw)  # noqa: S310 - the test server

    client.urlopen = urlopen
    api.urlopen = urlopen
    return client.Open311


@pytest.fixture
def setup(live_server: Any, regions: Any, departments: Any, make_staff: Any) -> dict[str, Any]:
    cats = catalogue(regions)
    integration = make_staff(Role.OPERATOR, regions["city"], username="open311_app")
    _row, key = token_create(user=integration, name="open311")
    clerk = make_staff(Role.CLERK, regions["city"], username="some_clerk")
    _row, clerk_key = token_create(user=clerk, name="not allowed")
    Open311 = open311_client()
    base = f"{live_server.url}/open311/v2"
    return {
        "cats": cats, "key": key, "clerk_key": clerk_key, "regions": regions,
        "operator": integration,
        "json": Open311(endpoint=base, api_key=key, format="json", jurisdiction="379902000000"),
        "xml": Open311(endpoint=base, api_key=key, format="xml", jurisdiction="379902000000"),
        "bad": Open311(endpoint=base, api_key=clerk_key, format="json",
                       jurisdiction="379902000000"),
    }


def test_a_client_lists_services_files_and_follows_a_request(setup: dict[str, Any]) -> None:
    o, ox = setup["json"], setup["xml"]
    services = ox.service_list()  # the library always asks for services.xml
    codes = {s["service_code"] for s in services}
    assert codes == {"SC-SP", "WS-YL", "AQ-RQ"}
    food = next(s for s in services if s["service_code"] == "SC-SP")
    assert food["service_name"] == "食品安全" and food["metadata"] == "true"
    definition = o.service_definition("SC-SP")
    assert definition["service_code"] == "SC-SP"
    assert {a["code"] for a in definition["attributes"]} == {"location_detail", "urgent"}

    posted = o.post_service_request(
        service_code="SC-SP", description="湖滨路小吃店后厨卫生很差，有老鼠出没。",
        address_string="东湖区湖滨路 12 号", lat="36.512300", long="117.001200",
        phone="13905391001", first_name="五", last_name="王",
        **{"attribute[location_detail]": "一楼后门"},
    )
    request_id = posted[0]["service_request_id"]
    order = WorkOrder.objects.get(order_no=request_id)
    assert order.channel == OrderChannel.OPEN311 and order.region.code == "379902000000"
    assert order.location == "东湖区湖滨路 12 号 一楼后门" and order.caller_phone == "13905391001"

    one = o.get_service_request(request_id)
    assert one[0]["status"] == "open" and one[0]["service_code"] == "SC-SP"
    assert "13905391001" not in str(one) and "王" not in str(one)  # no personal data
    assert ox.request_id_from_token(request_id)["service_request_id"] == request_id
    listed = ox.service_requests(status="open", service_code="SC-SP")
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [request_id]

    orders.work_order_answer(actor=setup["operator"], order=order,
                             answer="已转市场监管所现场检查并责令整改。")
    closed = o.get_service_request(request_id)[0]
    assert closed["status"] == "closed" and "责令整改" in closed["status_notes"]
    # (the library cannot read an empty list — it indexes into None — so ask directly)
    still_open = urllib.request.urlopen(  # noqa: S310 - the test server
        f"{ox.endpoint}/requests.xml?status=open&service_code=SC-SP").read()
    assert b"<service_requests />" in still_open


def test_requests_are_refused_without_a_valid_key_or_service(setup: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        setup["bad"].post_service_request(service_code="SC-SP", description="测试一下无权提交",
                                          address_string="某处")
    assert err.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as err:
        setup["json"].post_service_request(service_code="NOPE", description="不存在的服务代码",
                                           address_string="某处")
    assert err.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as err:
        setup["json"].post_service_request(service_code="SC-SP", description="短",
                                           address_string="某处")
    assert err.value.code == 400 and "description" in err.value.read().decode()
    assert not WorkOrder.objects.exists()


def test_filters_pagination_and_errors_over_plain_http(client: Any, setup: dict[str, Any]) -> None:
    for i in range(3):
        orders.work_order_create(actor=None, channel=OrderChannel.OPEN311,
                                 category=setup["cats"]["food"], region=setup["regions"]["d1"],
                                 description=f"第{i}条：餐馆油烟扰民，晚上十点后还在营业",
                                 location="湖滨路")
    page = client.get("/open311/v2/requests.json", {"page_size": 2}).json()
    assert len(page) == 2
    rest = client.get("/open311/v2/requests.json", {"page_size": 2, "page": 2}).json()
    assert len(rest) == 1 and rest[0]["service_request_id"] not in {
        r["service_request_id"] for r in page}
    assert client.get("/open311/v2/requests.json", {"status": "weird"}).status_code == 400
    bad_date = client.get("/open311/v2/requests.json", {"start_date": "yesterday"})
    assert bad_date.status_code == 400 and bad_date.json()[0]["code"] == 400
    assert client.get("/open311/v2/requests.json", {"page": "x"}).status_code == 400
    xml = client.get("/open311/v2/requests/NOPE.xml")
    assert xml.status_code == 404 and b"<errors><error><code>404</code>" in xml.content
    assert client.get("/open311/v2/discovery.json").json()["endpoints"][0]["formats"]
