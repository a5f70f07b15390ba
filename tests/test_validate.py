"""Tests for loaders/validate.py: NHS number, UPN, postcode, dates and code lists.

Test values come from shared/reference/uk_identifiers/UK_IDENTIFIERS.md; the NHS check digit in
the properties is computed here again from the rule written there, not imported from the code.
"""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.errors import RowProblem
from loaders.validate import nhs_number_valid, one_of, parse_date, postcode_valid, upn_valid

TODAY = date(2026, 11, 23)


def nhs_check_digit(first_nine: str) -> int:
    """Modulus 11 as UK_IDENTIFIERS.md section 2 states it: 10 means never issued."""
    weights = range(10, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, weights, strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else check


# --- NHS number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "9000000009",
        "9000000017",
        "9000000025",
        "9000000033",
        "9434765919",
        "9693632109",
        "9733162043",
        "5900046192",
        "9912003888",
    ],
)
def test_nhs_number_from_published_examples_is_valid(number: str) -> None:
    assert nhs_number_valid(number) is True


def test_nhs_number_with_wrong_check_digit_from_uk_core_example_is_invalid() -> None:
    assert nhs_number_valid("9912003890") is False


def test_nhs_number_with_last_digit_changed_is_invalid() -> None:
    assert nhs_number_valid("9434765918") is False


@pytest.mark.parametrize("number", ["943476591", "94347659190", "", "0"])
def test_nhs_number_of_wrong_length_is_invalid(number: str) -> None:
    assert nhs_number_valid(number) is False


@pytest.mark.parametrize("number", ["94347659A9", "ABCDEFGHIJ", "9434765919x", "94347.6591"])
def test_nhs_number_with_letters_or_punctuation_is_invalid(number: str) -> None:
    assert nhs_number_valid(number) is False


@pytest.mark.parametrize("number", ["943 476 5919", "943-476-5919", " 9434765919 ", "943 476-5919"])
def test_nhs_number_written_with_spaces_or_hyphens_is_valid(number: str) -> None:
    assert nhs_number_valid(number) is True


def test_nhs_number_in_non_ascii_digits_is_invalid() -> None:
    # Full-width digits are digits to str.isdigit but are not an NHS number.
    assert nhs_number_valid("９４３４７６５９１９") is False


def test_nhs_number_whose_check_digit_would_be_ten_is_invalid() -> None:
    # 100000001: 10*1 + 2*1 = 12, 12 % 11 = 1, 11 - 1 = 10, so no tenth digit makes it valid.
    assert nhs_check_digit("100000001") == 10
    assert not any(nhs_number_valid(f"100000001{digit}") for digit in range(10))


@settings(max_examples=100, deadline=None, database=None)
@given(st.text())
def test_nhs_number_valid_never_raises_on_any_text(text: str) -> None:
    assert nhs_number_valid(text) in (True, False)


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nine_digits_with_their_check_digit_are_valid(first_nine: str) -> None:
    check = nhs_check_digit(first_nine)
    if check == 10:
        assert not nhs_number_valid(first_nine + "0")
        return
    assert nhs_number_valid(f"{first_nine}{check}")


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.integers(min_value=1, max_value=9),
)
def test_nine_digits_with_any_other_last_digit_are_invalid(first_nine: str, shift: int) -> None:
    check = nhs_check_digit(first_nine)
    wrong = (check + shift) % 10 if check != 10 else shift
    assert not nhs_number_valid(f"{first_nine}{wrong}")


# --- UPN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("upn", ["A950000178301", "H243278544154"])
def test_upn_with_correct_check_letter_is_valid(upn: str) -> None:
    assert upn_valid(upn) is True


def test_upn_check_letter_is_case_insensitive() -> None:
    assert upn_valid("a950000178301") is True


@pytest.mark.parametrize("upn", ["R247962919251", "X428558133462"])
def test_upn_with_wrong_check_letter_is_invalid(upn: str) -> None:
    assert upn_valid(upn) is False


@pytest.mark.parametrize("upn", ["ASFFAGSVSV123", "R325", "", "9950000178301", "A95000017830"])
def test_upn_of_wrong_shape_is_invalid(upn: str) -> None:
    assert upn_valid(upn) is False


def test_upn_sample_with_wrong_check_letter_is_invalid_and_p_would_be_right() -> None:
    # UK_IDENTIFIERS.md: the CIN sample's A123456789123 should have check letter P.
    assert upn_valid("A123456789123") is False
    assert upn_valid("P123456789123") is True


@settings(max_examples=100, deadline=None, database=None)
@given(st.text())
def test_upn_valid_never_raises_on_any_text(text: str) -> None:
    assert upn_valid(text) in (True, False)


# --- postcodes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "postcode", ["SW1A 2AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "LS8 3DR", "GIR 0AA", "AB10 1AB"]
)
def test_real_postcode_is_valid(postcode: str) -> None:
    assert postcode_valid(postcode) is True


@pytest.mark.parametrize("postcode", ["sw1a 2aa", "ls8 3dr", "gir 0aa"])
def test_lower_case_postcode_is_valid(postcode: str) -> None:
    assert postcode_valid(postcode) is True


@pytest.mark.parametrize("postcode", ["SW1A2AA", "m11ae", "LS83DR", " EC1A  1BB "])
def test_postcode_without_or_with_extra_spaces_is_valid(postcode: str) -> None:
    assert postcode_valid(postcode) is True


@pytest.mark.parametrize("postcode", ["Z2 1OG", "ABC 1", "", "   ", "SW1A", "Q1 1AA", "SW1A 2AAA"])
def test_malformed_postcode_is_invalid(postcode: str) -> None:
    assert postcode_valid(postcode) is False


@settings(max_examples=100, deadline=None, database=None)
@given(st.text())
def test_postcode_valid_never_raises_on_any_text(text: str) -> None:
    assert postcode_valid(text) in (True, False)


# --- dates --------------------------------------------------------------------------------------


def test_parse_date_reads_iso_date() -> None:
    assert parse_date("birth_date", "2015-03-02", today=TODAY) == date(2015, 3, 2)


def test_parse_date_ignores_surrounding_spaces() -> None:
    assert parse_date("birth_date", " 2015-03-02 ", today=TODAY) == date(2015, 3, 2)


def test_parse_date_accepts_today() -> None:
    assert parse_date("birth_date", TODAY.isoformat(), today=TODAY) == TODAY


def test_parse_date_rejects_future_date_naming_the_field() -> None:
    with pytest.raises(RowProblem) as caught:
        parse_date("birth_date", "2026-11-24", today=TODAY)
    assert caught.value.field == "birth_date"
    assert "future" in caught.value.reason


def test_parse_date_accepts_future_date_when_allowed() -> None:
    day = parse_date("end", "2027-01-31", today=TODAY, allow_future=True)
    assert day == date(2027, 1, 31)


def test_parse_date_rejects_date_before_1890() -> None:
    with pytest.raises(RowProblem) as caught:
        parse_date("birth_date", "1889-12-31", today=TODAY)
    assert caught.value.field == "birth_date"


def test_parse_date_accepts_first_of_january_1890() -> None:
    assert parse_date("birth_date", "1890-01-01", today=TODAY) == date(1890, 1, 1)


@pytest.mark.parametrize("text", ["", "yesterday", "02/03/2015", "2015-02-30", "2015-13-01"])
def test_parse_date_rejects_garbage_naming_the_field(text: str) -> None:
    with pytest.raises(RowProblem) as caught:
        parse_date("valid_from", text, today=TODAY)
    assert caught.value.field == "valid_from"
    assert "ISO 8601" in caught.value.reason


@settings(max_examples=100, deadline=None, database=None)
@given(st.text())
def test_parse_date_raises_only_row_problem_on_any_text(text: str) -> None:
    try:
        day = parse_date("start", text, today=TODAY)
    except RowProblem as problem:
        assert problem.field == "start"
    else:
        assert date(1890, 1, 1) <= day <= TODAY


# --- code lists ---------------------------------------------------------------------------------


def test_one_of_returns_the_value_lower_cased_and_trimmed() -> None:
    assert one_of("kind", " Mother ", {"mother", "father"}) == "mother"


def test_one_of_rejects_a_value_not_in_the_list_naming_the_field() -> None:
    with pytest.raises(RowProblem) as caught:
        one_of("kind", "aunt", {"mother", "father"})
    assert caught.value.field == "kind"
    assert "father, mother" in caught.value.reason
