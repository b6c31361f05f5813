"""数据管理 through the API and the page: upload, report, error workbook, history, undo."""

from __future__ import annotations

import io
import re

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import uscc

PARKS = (
    "序号,代码,开发区名称,省份,城市/区县,批准级别,开发区类型,批准时间,核准面积_公顷,主导产业\n"
    "1,S337009,临江新材料产业园,浙江省,杭州,省政府,工业园区,2010.05,300,新材料、装备制造\n"
).encode()


def upload(client, data: bytes, name: str = "parks.csv", **form):
    return client.post("/api/v1/imports", files={"file": (name, data, "text/csv")}, data=form)


def test_upload_commits_a_valid_file_and_lists_it_in_the_history(client_for, world):
    admin = client_for("admin")
    response = upload(admin, PARKS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "committed"
    assert body["sheets"][0]["rows_inserted"] == 1
    history = admin.get("/api/v1/imports").json()
    assert history["items"][0]["filename"] == "parks.csv"
    assert admin.get("/api/v1/parks/S337009").json()["name"] == "临江新材料产业园"


def test_a_dry_run_validates_without_writing(client_for, world):
    admin = client_for("admin")
    body = upload(admin, PARKS, dry_run="true").json()
    assert body["status"] == "dry_run"
    assert admin.get("/api/v1/parks/S337009").status_code == 404


def test_a_rejected_upload_offers_its_error_workbook(client_for, world):
    admin = client_for("admin")
    body = upload(admin, PARKS.replace(b"300", "三百".encode())).json()
    assert body["status"] == "rejected"
    problem = body["sheets"][0]["report"]["problems"][0]
    assert (problem["code"], problem["row"], problem["column_letter"]) == (
        "E102_NOT_A_NUMBER",
        2,
        "I",
    )
    workbook = admin.get(f"/api/v1/imports/{body['error_report_batch']}/error-report")
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["content-disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert "问题清单" in sheets


def test_undo_through_the_api_removes_the_import(client_for, world):
    admin = client_for("admin")
    body = upload(admin, PARKS).json()
    undone = admin.post(f"/api/v1/imports/{body['sheets'][0]['batch_id']}/undo")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert admin.get("/api/v1/parks/S337009").status_code == 404


def test_a_park_committee_may_not_register_parks(client_for, world):
    response = upload(client_for("park"), PARKS)
    assert response.status_code == 403
    assert "维护园区" in response.json()["message"]


def test_templates_download_as_xlsx(client_for):
    response = client_for("park").get("/api/v1/imports/templates/monthly_report")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.worksheets[0]["A1"].value == "统一社会信用代码"


def test_the_page_uploads_and_shows_a_filterable_report(client_for, world):
    client = client_for("park")
    page = client.get("/data").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    del client.headers["X-CSRF-Token"]
    firm = world.inside.uscc
    bad = uscc("330102", 999)[:-1] + "0"
    csv = (
        "统一社会信用代码,企业名称,报告期,工业总产值(万元),税收(万元)\n"
        f"{firm},{world.inside.enterprise_name},2026-10,1300,-5\n"
        f"{bad},某某公司,2026-10,100,1\n"
    ).encode()
    response = client.post(
        "/data/upload",
        data={"csrf_token": token, "kind": "monthly_report"},
        files={"file": ("十月月报.csv", csv, "text/csv")},
    )
    assert response.status_code == 422
    html = response.text
    assert "校验未通过" in html
    assert "E106_NEGATIVE_VALUE" in html and "E201_INVALID_USCC" in html
    assert 'data-filter-for="problems-1"' in html
    assert "下载错误报告" in html


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    payload=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda t: t.encode("utf-8")),
        st.text(alphabet="统一社会信用代码,报告期\n\r\"'；、0123456789-ABC", max_size=300).map(
            lambda t: t.encode("gb18030")
        ),
    ),
    name=st.sampled_from(["a.csv", "b.xlsx", "c.xls", "d.txt", "月报.csv"]),
)
def test_malformed_uploads_never_cause_a_server_error(client_for, payload, name):
    response = upload(client_for("admin"), payload, name)
    assert response.status_code in (200, 422), response.text
    body = response.json()
    assert body.get("status") in ("rejected", "committed", "dry_run") or body.get("message")
