"""/cong-dan/du-lieu-cua-toi/: a citizen downloads a ZIP of everything held about them (their
dossiers, documents with the files, consents, the access log) and nothing of anyone else."""

import datetime as dt
import io
import json
import zipfile

from motcua.audit.models import DataAccess
from motcua.wallet import services as wallet

from .conftest import AN, PDF, issue

URL = "/cong-dan/du-lieu-cua-toi/"
OTHER = {"name": "Lê Văn Kiểm", "id_number": "056085012345", "phone": "0987654321", "address": "Thôn 9"}


def test_anonymous_is_sent_to_login(client, db):
    r = client.get(URL)
    assert r.status_code == 302 and "/cong-dan/dang-nhap/" in r["Location"]
    assert client.post(URL).status_code == 302


def test_the_zip_holds_my_data_and_files_and_nothing_of_another_citizen(client, users, held, citizen):
    other = issue(users, owner=OTHER, title="Giấy xác nhận của người khác")
    wallet.grant_consent(
        wallet.Owner(AN["id_number"], AN["name"]),
        agency=held.agency,
        purpose="Hồ sơ vay vốn",
        expires_on=dt.date.today() + dt.timedelta(days=30),
        user=citizen,
    )
    client.force_login(citizen)
    page = client.get(URL)
    assert page.status_code == 200 and "Tải toàn bộ dữ liệu" in page.content.decode()

    r = client.post(URL)
    assert r.status_code == 200 and r["Content-Type"] == "application/zip" and r.streaming
    zf = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    names = zf.namelist()
    assert "README.txt" in names and "ca-nhan.json" in names and "chia-se.json" in names
    assert "Luật Bảo vệ dữ liệu cá nhân" in zf.read("README.txt").decode("utf-8")
    assert f"ho-so/{held.dossier.code}.json" in names
    assert not any(other.dossier.code in n for n in names)
    person = json.loads(zf.read("ca-nhan.json"))
    assert person["person"]["id_number"] == AN["id_number"]
    dossier = json.loads(zf.read(f"ho-so/{held.dossier.code}.json"))
    assert dossier["dossier"]["applicant_id_number"] == AN["id_number"]
    assert dossier["events"] and dossier["components"] and dossier["events"][0]["label"]
    docs = json.loads(zf.read("giay-to.json"))["documents"]
    mine = next(x for x in docs if x["id"] == held.pk)
    assert mine["file_in_archive"] and zf.read(mine["file_in_archive"]) == PDF
    assert all(x["owner_id_number"] != OTHER["id_number"] for x in docs)
    consents = json.loads(zf.read("chia-se.json"))["consents"]
    assert consents and consents[0]["purpose"] == "Hồ sơ vay vốn"
    everything = b"".join(zf.read(n) for n in names)
    assert OTHER["id_number"].encode() not in everything and "Lê Văn Kiểm".encode() not in everything
    assert "Nguyễn Văn An" in zf.read("ca-nhan.json").decode("utf-8")  # readable UTF-8, not \\u escapes

    # The download itself is logged, and appears in the next export's access log.
    assert DataAccess.objects.filter(user=citizen, action="export", subject_id_number=AN["id_number"]).exists()
    again = zipfile.ZipFile(io.BytesIO(b"".join(client.post(URL).streaming_content)))
    log = json.loads(again.read("nhat-ky-truy-cap.json"))["accesses"]
    assert any(a["action"] == "export" for a in log)


def test_files_are_streamed_in_small_chunks(client, users, citizen):
    big = PDF + b"%" + b"0" * (3 * 1024 * 1024) + b"\n"  # a 3 MiB paper
    doc = issue(users, title="Giấy tờ lớn")
    from motcua.documents import services as documents

    documents.add_version(doc, [documents.checked_bytes(big, "lon.pdf")], user=users["motcua.xa"])
    client.force_login(citizen)
    chunks = list(client.post(URL).streaming_content)
    assert max(len(c) for c in chunks) < 256 * 1024  # never the whole file at once
    zf = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert zf.read(f"giay-to/{doc.pk}-{doc.name}") == big
