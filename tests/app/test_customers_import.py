"""`customers import`: upsert, boolean spellings, bad rows reported by line, good rows kept."""
import io

from sqlmodel import select

from app.customers import find_by_phone, import_csv
from app.models import Customer, CustomerPhone
from app.store import make_engine, session_scope

HEADER = "adm,name,cnpj,phones,contract_active,support_active,financial_pending\n"


def _import(url, body):
    engine = make_engine(url)
    with session_scope(engine) as session:
        report = import_csv(session, io.StringIO(HEADER + body))
    return engine, report


def test_import_accepts_every_boolean_spelling_and_reports_bad_rows_by_line(database_url):
    engine, report = _import(database_url, (
        "1,Rádio Um,11.111.111/0001-11,5511911112222;551133334444,true,sim,0\n"
        "2,Rádio Dois,,5521922223333,não,1,false\n"
        ",Sem ADM,,5531900000000,true,true,false\n"
        "4,Rádio Quatro,,5541944445555,talvez,true,false\n"
        "5,Rádio Cinco,,12ab,true,true,false\n"
        "6,Rádio Seis,,5511911112222,true,true,false\n"
    ))
    assert (report.created, report.updated) == (2, 0)
    assert report.errors == [
        "line 4: adm is empty",
        "line 5: contract_active: 'talvez' is not a boolean (true/false, sim/não, 1/0)",
        "line 6: phones: '12ab' is not a phone number with country code",
        "line 7: phone 5511911112222 already belongs to ADM 1",
    ]
    with session_scope(engine) as session:
        one = session.get(Customer, "1")
        assert (one.contract_active, one.support_active, one.financial_pending) == (True, True, False)
        assert one.cnpj == "11111111000111"
        two = session.get(Customer, "2")
        assert (two.contract_active, two.support_active, two.financial_pending) == (False, True, False)
        phones = session.exec(select(CustomerPhone.phone).where(CustomerPhone.adm == "1")).all()
        assert sorted(phones) == ["551133334444", "5511911112222"]


def test_import_again_updates_in_place_and_replaces_phones(database_url):
    _import(database_url, "1,Rádio Um,,5511911112222,true,true,false\n")
    engine, report = _import(database_url, "1,Rádio Um FM,,5511955556666,true,true,true\n")
    assert (report.created, report.updated, report.errors) == (0, 1, [])
    with session_scope(engine) as session:
        assert session.get(Customer, "1").name == "Rádio Um FM"
        assert session.get(Customer, "1").financial_pending is True
        assert find_by_phone(session, "5511911112222") is None
        assert find_by_phone(session, "5511955556666").adm == "1"


def test_phone_lookup_tolerates_the_missing_ninth_digit_of_whatsapp_ids(database_url):
    engine, _ = _import(database_url, "7,Rádio Sete,,5511987654321,true,true,false\n")
    with session_scope(engine) as session:
        assert find_by_phone(session, "551187654321").adm == "7"
        assert find_by_phone(session, "5511987654321").adm == "7"
        assert find_by_phone(session, "5511900000000") is None


def test_missing_columns_are_reported_and_nothing_is_written(database_url):
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        report = import_csv(session, io.StringIO("adm,name\n1,Rádio\n"))
    assert report.errors == ["line 1: missing columns: cnpj, phones, contract_active, support_active, "
                             "financial_pending"]
    with session_scope(engine) as session:
        assert session.exec(select(Customer)).all() == []
