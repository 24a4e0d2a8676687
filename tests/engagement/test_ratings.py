"""Citizen evaluation: once per returned dossier, only by its applicant, not before the return;
the 5 → 3 level mapping as data; the satisfaction rate aggregated in SQL; the page."""

import pytest

from motcua.dossiers import services as dossier_services
from motcua.engagement import ratings
from motcua.engagement.models import Rating
from motcua.engagement.ratings import RatingError
from motcua.engagement.states import RATING_CRITERIA_KEYS, RATING_LEVELS, SATISFACTION_OF_LEVEL, Satisfaction
from motcua.identity.models import Person
from motcua.identity.services import login_vneid

from .conftest import vn

CITIZEN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}
CLAIMS = {
    "sub": "x",
    "citizen_id": "001085012345",
    "name": "Nguyễn Văn An",
    "birthdate": "1985-03-12",
    "gender": "male",
}
ALL_GOOD = {key: 5 for key in RATING_CRITERIA_KEYS}


def received(users, applicant=CITIZEN, day=2):
    dossier, _ = dossier_services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        applicant=applicant,
        components=["TP01", "TP02"],
        fee_paid=True,
        now=vn(2026, 3, day, 8, 0),
    )
    return dossier


def returned(users, d=None):
    d = d or received(users)
    d = dossier_services.act(d, "transfer", user=users["motcua.xa"], now=vn(2026, 3, 2, 9))
    d = dossier_services.act(d, "forward", user=users["chuyenvien.xa"], now=vn(2026, 3, 3, 9))
    d = dossier_services.act(d, "issue_result", user=users["lanhdao.xa"], now=vn(2026, 3, 3, 14))
    return dossier_services.act(d, "return_result", user=users["motcua.xa"], now=vn(2026, 3, 4, 9))


@pytest.fixture
def citizen(users):
    return login_vneid(CLAIMS)


@pytest.fixture
def person(citizen):
    return Person.objects.get(id_number=CLAIMS["citizen_id"])


def test_five_levels_map_to_three_reported_levels():
    assert [level for level, _ in RATING_LEVELS] == [5, 4, 3, 2, 1]
    assert set(SATISFACTION_OF_LEVEL) == {1, 2, 3, 4, 5}
    assert SATISFACTION_OF_LEVEL[5] == Satisfaction.VERY_SATISFIED
    assert SATISFACTION_OF_LEVEL[4] == Satisfaction.SATISFIED
    assert {SATISFACTION_OF_LEVEL[n] for n in (1, 2, 3)} == {Satisfaction.NOT_SATISFIED}
    assert len(RATING_CRITERIA_KEYS) == 9


def test_only_the_applicant_once_after_the_return(users, person):
    dossier = received(users)
    with pytest.raises(RatingError) as exc:
        ratings.rate(dossier, person, overall=5)
    assert exc.value.code == "not_returned" and "chưa được trả kết quả" in exc.value.message

    dossier = returned(users, dossier)
    assert dossier.returned_at is not None
    other = Person.objects.create(id_number="001085099999", full_name="Trần Thị Bình")
    with pytest.raises(RatingError) as exc:
        ratings.rate(dossier, other, overall=5)
    assert exc.value.code == "not_yours"

    rating = ratings.rate(dossier, person, overall=4, scores={"total_time": "5", "online_service": ""}, comment=" Tốt ")
    assert (rating.overall, rating.scores, rating.comment) == (4, {"total_time": 5}, "Tốt")
    with pytest.raises(RatingError) as exc:
        ratings.rate(dossier, person, overall=5)
    assert exc.value.code == "already_rated" and "chỉ được đánh giá một lần" in exc.value.message
    assert Rating.objects.count() == 1


def test_invalid_levels_have_clear_messages(users, person):
    dossier = returned(users)
    for kwargs, words in [
        ({"overall": ""}, "Vui lòng chọn mức độ hài lòng"),
        ({"overall": "9"}, "không hợp lệ"),
        ({"overall": 5, "scores": {"attitude": "abc"}}, "Thái độ"),
        ({"overall": 5, "scores": {"weather": 5}}, "Tiêu chí đánh giá không hợp lệ"),
        ({"overall": 5, "comment": "x" * 2001}, "2000 ký tự"),
    ]:
        with pytest.raises(RatingError, match=words):
            ratings.rate(dossier, person, **kwargs)
    assert not Rating.objects.exists()


def test_satisfaction_rate_in_sql(users):
    levels = [5, 5, 4, 3, 1]
    dossiers = []
    for i, level in enumerate(levels):
        applicant = {**CITIZEN, "id_number": f"0010850{i:05d}"}
        d = received(users, applicant)
        dossiers.append(d)
        Rating.objects.create(
            dossier=d,
            id_number=applicant["id_number"],
            overall=level,
            scores={"attitude": 5 if i < 4 else 2},
            created_at=vn(2026, 3, 10 + i, 9),
        )
    figures = ratings.satisfaction_rate()
    assert (figures.total, figures.very_satisfied, figures.satisfied, figures.not_satisfied) == (5, 2, 1, 2)
    assert figures.rate == 60.0 and figures.meets_target is False
    attitude = ratings.satisfaction_rate(criterion="attitude")
    assert (attitude.total, attitude.very_satisfied, attitude.not_satisfied, attitude.rate) == (5, 4, 1, 80.0)
    assert ratings.satisfaction_rate(criterion="online_service").rate is None  # nobody rated it
    window = ratings.satisfaction_rate(since=vn(2026, 3, 11), until=vn(2026, 3, 13))
    assert (window.total, window.very_satisfied, window.satisfied) == (2, 1, 1)
    by_agency = ratings.satisfaction_rate(by="agency")
    assert [(f.key, f.total, f.rate) for f in by_agency] == [(dossiers[0].agency_id, 5, 60.0)]
    assert ratings.satisfaction_rate(agency=dossiers[0].agency).total == 5
    assert ratings.satisfaction_rate(Rating.objects.filter(overall__gte=4)).rate == 100.0


def test_rating_page(client, users, citizen):
    dossier = received(users)
    client.force_login(citizen)
    url = f"/cong-dan/danh-gia/{dossier.code}/"
    response = client.get(url)
    assert response.status_code == 200 and "chưa được trả kết quả" in response.content.decode()
    assert client.post(url, {"overall": "5"}).status_code == 400
    assert client.get("/cong-dan/danh-gia/KHONG-CO/").status_code == 404

    dossier = returned(users, dossier)
    html = client.get(url).content.decode()
    assert 'name="overall"' in html and "Thái độ, tinh thần phục vụ" in html and "Rất không hài lòng" in html
    response = client.post(url, {"c_attitude": "7"})
    assert response.status_code == 400 and "Vui lòng chọn mức độ hài lòng" in response.content.decode()
    response = client.post(url, {"overall": "5", "c_attitude": "4", "comment": "Cán bộ nhiệt tình"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Đánh giá của bạn" in html and "Cán bộ nhiệt tình" in html and 'name="overall"' not in html
    assert client.post(url, {"overall": "1"}).status_code == 400
    assert Rating.objects.get().overall == 5

    # Another citizen: the dossier is not theirs → 404 (its existence is not revealed).
    stranger = login_vneid({**CLAIMS, "sub": "y", "citizen_id": "001085099999", "name": "Trần Thị Bình"})
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.post(url, {"overall": "1"}).status_code == 404
