"""The 'only once' metrics on a hand-computed fixture."""

import datetime as dt

from motcua.wallet.kpis import reuse_rates
from motcua.wallet.models import Reuse

from .conftest import AN


def test_reuse_rates_hand_computed(client, users, held):
    client.force_login(users["motcua.xa"])
    base = {
        "procedure": "1.000894",
        "name": AN["name"],
        "id_number": AN["id_number"],
        "return_channel": "counter",
        "action": "receive",
        "provided": ["TP01"],
    }
    # 1: reuses TP02 (the certificate) and TP04 (population data): re-submitted nothing.
    assert client.post("/can-bo/tiep-nhan/", {**base, "form_id": "a"}).status_code == 302
    # 2: the certificate is rejected: a held paper asked again.
    r = client.post("/can-bo/tiep-nhan/", {**base, "form_id": "b", "reuse_TP02": "reject", "reuse_reason_TP02": "Khác"})
    assert r.status_code == 302
    # 3: someone with nothing held (not in the population DB).
    other = {**base, "form_id": "c", "id_number": "001085999999", "name": "Trần Văn Mới"}
    assert client.post("/can-bo/tiep-nhan/", other).status_code == 302
    assert Reuse.objects.count() == 4  # 1: TP02+TP04; 2: TP02 rejected + TP04
    today = dt.date.today()
    [row] = reuse_rates(today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    # Dossiers: the certificate's own (1 component, nothing held) + the three above.
    assert (row["dossiers"], row["with_held"], row["resubmitted_nothing"]) == (4, 2, 1)
    assert row["no_resubmission_share"] == 0.5
    # Provided components: cert dossier TP01; #1 TP01 TP02 TP04; #2 TP01 TP04; #3 TP01 → 7, of which 3 reused.
    assert (row["components"], row["components_reused"]) == (7, 3)
    by_agency = reuse_rates(today, today, group_by="agency")
    assert sum(r["dossiers"] for r in by_agency) == 4 and all("agency__name" in r for r in by_agency)
    by_level = reuse_rates(today, today, group_by="level")
    assert by_level[0]["agency__unit__level__code"] == "commune" and by_level[0]["components_reused"] == 3
    by_month = reuse_rates(today, today, group_by="month")
    assert len(by_month) == 1 and by_month[0]["with_held"] == 2
