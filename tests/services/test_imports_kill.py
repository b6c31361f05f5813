"""A killed import leaves nothing behind: the whole file is one transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from factories import uscc
from parkhq.services import access
from parkhq.services.imports import import_file
from parkhq.store.models import ImportBatch, PeriodReport

N_FIRMS = 6_000
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]


def _prepare(db, tmp_path):
    admin = access.system_principal("tests")
    parks = (
        "序号,代码,开发区名称,省份,城市/区县,批准级别,开发区类型,批准时间,核准面积_公顷,主导产业\n"
        "1,S337001,临江经济开发区,浙江省,杭州,省政府,经济开发区,2006.03,812.5,装备制造\n"
    )
    assert import_file(db, admin, parks.encode(), "p.csv").status == "committed"
    codes = [uscc("330102", 50_000 + i) for i in range(N_FIRMS)]
    registry = ["统一社会信用代码,企业名称,园区代码,行业代码,是否规上"]
    registry += [f"{c},临江第{i}机械有限公司,S337001,3484,是" for i, c in enumerate(codes)]
    assert import_file(db, admin, "\n".join(registry).encode(), "f.csv").status == "committed"
    lines = ["统一社会信用代码,企业名称,报告期,工业总产值(万元),税收(万元),从业人员(人)"]
    lines += [
        f"{c},临江第{i}机械有限公司,{p},{1000 + i},{40 + i % 9},{50 + i % 13}"
        for i, c in enumerate(codes)
        for p in MONTHS
    ]
    path = tmp_path / "big-monthly.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sigkill_in_the_middle_of_the_write_leaves_no_partial_rows(db, tmp_path):
    path = _prepare(db, tmp_path)
    env = {**os.environ, "PARKHQ_DATABASE_URL": db.url, "PARKHQ_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "parkhq", "import", str(path), "--kind", "monthly_report"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    killed = False
    for line in proc.stderr:
        seen.append(line)
        if "写入企业月报" in line:
            time.sleep(0.05)  # let it get going with the rows
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        assert time.monotonic() < deadline, seen
    proc.wait(timeout=60)
    proc.stderr.close()
    assert killed, "".join(seen)
    assert proc.returncode == -signal.SIGKILL

    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PeriodReport)) == 0
        kinds = list(s.scalars(select(ImportBatch.kind).order_by(ImportBatch.id)))
    assert kinds == ["park_registry", "enterprise_registry"]

    # the same file imports completely afterwards
    admin = access.system_principal("tests")
    outcome = import_file(db, admin, path.read_bytes(), path.name)
    assert outcome.sheets[0].rows_inserted == N_FIRMS * len(MONTHS)
