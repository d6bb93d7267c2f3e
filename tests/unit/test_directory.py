"""The districts directory: keys resolve to their district; a bad file says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crosslink.directory import DirectoryError, hash_api_key, load_directory
from crosslink.settings import DEMO_DISTRICTS_FILE
from tests.conftest import OPERATOR_KEY, REGISTRY_ADMIN_KEY, api_key, write_districts_file


def test_an_integrator_key_resolves_to_its_district(tmp_path: Path) -> None:
    path = write_districts_file(
        tmp_path / "d.yaml", {"MH-MUM": "http://x/1", "MP-BPL": "http://x/2"}
    )

    directory = load_directory(path)

    caller = directory.caller_for_api_key(api_key("MP-BPL"))
    assert caller is not None
    assert caller.district is not None
    assert caller.district.code == "MP-BPL"
    assert directory.caller_for_api_key("unknown") is None


def test_the_demo_directory_is_valid_and_has_the_demo_keys() -> None:
    directory = load_directory(DEMO_DISTRICTS_FILE)

    caller = directory.caller_for_api_key("demo-key-MH-MUM")
    assert caller is not None
    assert caller.district is not None
    assert caller.district.code == "MH-MUM"
    assert len(directory.districts) >= 5


def test_keys_are_stored_as_sha256_hex() -> None:
    assert hash_api_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("districts: [{code: mumbai}]", "invalid"),
        ("districts: [", "invalid"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file(
    tmp_path: Path, content: str, complaint: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)

    with pytest.raises(DirectoryError, match=complaint) as refused:
        load_directory(path)

    assert str(path) in str(refused.value)


def test_a_missing_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="cannot read"):
        load_directory(tmp_path / "absent.yaml")


def test_duplicate_district_codes_are_refused(tmp_path: Path) -> None:
    path = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": "http://x/1"})
    content = yaml.safe_load(path.read_text())
    content["districts"] *= 2
    path.write_text(yaml.safe_dump(content))

    with pytest.raises(DirectoryError, match="unique"):
        load_directory(path)


def test_a_registry_admin_key_resolves_to_an_admin_without_a_district(tmp_path: Path) -> None:
    directory = load_directory(write_districts_file(tmp_path / "d.yaml", {"MH-MUM": "http://x/1"}))

    caller = directory.caller_for_api_key(REGISTRY_ADMIN_KEY)

    assert caller is not None
    assert caller.registry_admin
    assert caller.district is None


def test_a_webhook_secret_that_is_not_base64_is_refused(tmp_path: Path) -> None:
    path = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": "http://x/1"})
    content = yaml.safe_load(path.read_text())
    content["districts"][0]["webhook"]["secrets"].append("whsec_" + "A" * 17)
    path.write_text(yaml.safe_dump(content))

    with pytest.raises(DirectoryError, match="base64"):
        load_directory(path)


def test_an_operator_key_resolves_to_an_operator_without_a_district(tmp_path: Path) -> None:
    directory = load_directory(write_districts_file(tmp_path / "d.yaml", {"MH-MUM": "http://x/1"}))

    caller = directory.caller_for_api_key(OPERATOR_KEY)

    assert caller is not None
    assert caller.operator
    assert not caller.registry_admin
    assert caller.district is None


def test_a_district_without_a_webhook_or_email_is_valid(tmp_path: Path) -> None:
    directory = load_directory(write_districts_file(tmp_path / "d.yaml", {"MH-MUM": None}))

    district = directory.get("MH-MUM")
    assert district is not None
    assert district.webhook is None
    assert district.email == ()


def test_a_key_hash_given_to_two_holders_is_refused(tmp_path: Path) -> None:
    path = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": None, "MP-BPL": None})
    content = yaml.safe_load(path.read_text())
    content["districts"][1]["api_key_sha256"] = content["districts"][0]["api_key_sha256"]
    path.write_text(yaml.safe_dump(content))

    with pytest.raises(DirectoryError, match="appears twice"):
        load_directory(path)


def with_phone(tmp_path: Path, phone: str) -> Path:
    path = write_districts_file(tmp_path / "d.yaml", {"MP-BPL": None})
    content = yaml.safe_load(path.read_text())
    content["districts"][0]["phone"] = [phone]
    path.write_text(yaml.safe_dump(content))
    return path


def test_a_duty_phone_is_kept_as_an_officer_elsewhere_dials_it(tmp_path: Path) -> None:
    directory = load_directory(with_phone(tmp_path, "074104-10123"))  # phonenumbers' example

    district = directory.get("MP-BPL")
    assert district is not None
    assert district.phone == ("+91 74104 10123",)


def test_a_duty_phone_that_is_not_a_phone_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="not a valid phone number"):
        load_directory(with_phone(tmp_path, "12345"))


def with_language(tmp_path: Path, language: str | None) -> Path:
    path = write_districts_file(tmp_path / "districts.yaml", {"MP-BPL": None})
    content = yaml.safe_load(path.read_text())
    if language is not None:
        content["districts"][0]["language"] = language
    path.write_text(yaml.safe_dump(content))
    return path


def test_a_district_has_no_language_unless_the_directory_gives_one(tmp_path: Path) -> None:
    unset = load_directory(with_language(tmp_path, None)).get("MP-BPL")
    hindi = load_directory(with_language(tmp_path, "hi")).get("MP-BPL")

    assert unset is not None
    assert hindi is not None
    assert (unset.language, hindi.language) == (None, "hi")


def test_a_language_crosslink_does_not_speak_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match=r"language.*'en', 'hi' or 'mr'"):
        load_directory(with_language(tmp_path, "ta"))
